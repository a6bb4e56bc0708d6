import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { testDialects } from '../../testing/harness.js';
import { twoServersOnPostgres } from '../../testing/processes.js';

/**
 * Seat limits across processes: two `keyhaven serve` processes on one PostgreSQL database take 200
 * concurrent activations for a 10-seat license between them; exactly 10 succeed.
 */
describe('two server processes on one PostgreSQL', { skip: testDialects().includes('postgres') ? false : 'PostgreSQL is not reachable in this run' }, () => {
  test('200 concurrent activations against 10 seats: exactly 10 succeed', async () => {
    const { a, b, call, close } = await twoServersOnPostgres({ KEYHAVEN_CLIENT_RATE_LIMIT: '100000' });
    try {
      const product = await call('POST', `${a}/v1/products`, { name: 'Multi' });
      const policy = await call('POST', `${b}/v1/policies`, { productId: product.body.id, name: 'Ten seats', kind: 'timed', maxMachines: 10 });
      const license = await call('POST', `${a}/v1/licenses`, { policyId: policy.body.id });
      assert.equal(license.status, 201, JSON.stringify(license.body));

      // Client activations carry the license key, not the admin token.
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => call('POST', `${i % 2 === 0 ? a : b}/v1/machines/activate`, { key: license.body.key, fingerprint: `fp-${i}` }, false)),
      );
      const created = answers.filter((r) => r.status === 201).length;
      const refused = answers.filter((r) => r.status === 422 && r.body.error.code === 'TOO_MANY_MACHINES').length;
      assert.deepEqual([created, refused], [10, 190]);
      const listed = await call('GET', `${b}/v1/machines?licenseId=${license.body.id}&limit=100`);
      assert.equal(listed.body.data.length, 10);
    } finally {
      await close();
    }
  });
});
