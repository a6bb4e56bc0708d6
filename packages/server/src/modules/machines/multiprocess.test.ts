import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase, testDialects } from '../../testing/harness.js';
import { freePort, serve, stop } from '../../testing/processes.js';

/**
 * Seat limits across processes: two `keyhaven serve` processes on one PostgreSQL database take 200
 * concurrent activations for a 10-seat license between them; exactly 10 succeed.
 */
describe('two server processes on one PostgreSQL', { skip: testDialects().includes('postgres') ? false : 'PostgreSQL is not reachable in this run' }, () => {
  test('200 concurrent activations against 10 seats: exactly 10 succeed', async () => {
    const db = await createTestDatabase('postgres');
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-multi-'));
    const token = 'multi-process-admin-token';
    const base = {
      PATH: process.env.PATH,
      DATABASE_URL: (db.config as { url: string }).url,
      KEYHAVEN_MASTER_KEY: randomBytes(32).toString('base64'),
      KEYHAVEN_ADMIN_TOKEN: token,
      KEYHAVEN_DATA_DIR: dataDir,
      KEYHAVEN_CLIENT_RATE_LIMIT: '100000',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    const ports = [await freePort(), await freePort()];
    const servers = [];
    try {
      for (const port of ports) servers.push((await serve({ ...base, PORT: String(port) })).child);
      const [a, b] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
      const post = async (url: string, body: unknown, auth = false) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const product = await post(`${a}/v1/products`, { name: 'Multi' }, true);
      const policy = await post(`${b}/v1/policies`, { productId: product.body.id, name: 'Ten seats', kind: 'timed', maxMachines: 10 }, true);
      const license = await post(`${a}/v1/licenses`, { policyId: policy.body.id }, true);
      assert.equal(license.status, 201, JSON.stringify(license.body));

      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => post(`${i % 2 === 0 ? a : b}/v1/machines/activate`, { key: license.body.key, fingerprint: `fp-${i}` })),
      );
      const created = answers.filter((r) => r.status === 201).length;
      const refused = answers.filter((r) => r.status === 422 && r.body.error.code === 'TOO_MANY_MACHINES').length;
      assert.deepEqual([created, refused], [10, 190]);
      const listed = await fetch(`${b}/v1/machines?licenseId=${license.body.id}&limit=100`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(((await listed.json()) as any).data.length, 10);
    } finally {
      for (const child of servers) assert.equal(await stop(child), 0);
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  });
});
