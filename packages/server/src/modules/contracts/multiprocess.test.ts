import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testDialects } from '../../testing/harness.js';
import { twoServersOnPostgres } from '../../testing/processes.js';

/**
 * Quotas across processes: two `keyhaven serve` processes on one PostgreSQL database take 100 concurrent
 * license creations on a 20-license contract between them; exactly 20 licenses exist afterwards.
 */
describe('contracts: two server processes on one PostgreSQL', { skip: testDialects().includes('postgres') ? false : 'PostgreSQL is not reachable in this run' }, () => {
  test('100 concurrent creations against a 20-license contract: exactly 20 succeed', async () => {
    const { a, b, call, close } = await twoServersOnPostgres();
    try {
      const product = await call('POST', `${a}/v1/products`, { name: 'Multi' });
      const policy = await call('POST', `${b}/v1/policies`, { productId: product.body.id, name: 'Yearly', kind: 'timed' });
      const customer = await call('POST', `${a}/v1/customers`, { name: 'Volume customer', email: 'volume@example.com' });
      const contract = await call('POST', `${b}/v1/contracts`, { customerId: customer.body.id, policyId: policy.body.id, unit: 'licenses', quantity: 20 });
      assert.equal(contract.status, 201, JSON.stringify(contract.body));

      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => call('POST', `${i % 2 === 0 ? a : b}/v1/licenses`, { policyId: policy.body.id, customerId: customer.body.id, contractId: contract.body.id })),
      );
      const created = answers.filter((r) => r.status === 201).length;
      const refused = answers.filter((r) => r.status === 422 && r.body.error.code === 'QUOTA_EXHAUSTED').length;
      assert.deepEqual([created, refused], [20, 80]);
      assert.equal((await call('GET', `${a}/v1/contracts/${contract.body.id}`)).body.used, 20);
      const listed = await call('GET', `${b}/v1/licenses?customerId=${customer.body.id}&limit=100`);
      assert.equal(listed.body.data.length, 20);
    } finally {
      await close();
    }
  });
});
