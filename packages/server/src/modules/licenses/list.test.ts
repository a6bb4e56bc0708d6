import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('license list', (dialect) => {
  const ctx = useTestApp(dialect);

  /** Counts the calls to a service method for the duration of `run` (the method itself still runs). */
  async function counting<T>(target: Record<string, any>, method: string, run: () => Promise<T>): Promise<{ result: T; calls: number }> {
    const original = target[method];
    let calls = 0;
    target[method] = (...args: unknown[]) => {
      calls++;
      return original.apply(target, args);
    };
    try {
      return { result: await run(), calls };
    } finally {
      target[method] = original;
    }
  }

  test('a page across several products gets each license its product code and live seats, with one products call per page', async () => {
    const customer = await factories.customer(ctx.api);
    const expected = new Map<string, { product: string; seats: number }>();
    const keys = new Map<string, string>();
    for (let p = 0; p < 3; p++) {
      const product = await factories.product(ctx.api);
      const policy = await factories.policy(ctx.api, product.id, 'perpetual');
      for (let l = 0; l < 3; l++) {
        const license = await factories.license(ctx.api, policy.id, { customerId: customer.id });
        const seats = (p + l) % 3;
        for (let m = 0; m < seats; m++) {
          const activated = await client(ctx.t.app, undefined).post('/v1/machines/activate', { key: license.key, fingerprint: `fp-${license.id}-${m}` });
          assert.equal(activated.status, 201, activated.raw);
        }
        expected.set(license.id, { product: product.code, seats });
        keys.set(license.id, license.key);
      }
    }
    // A deactivated machine no longer holds its seat.
    const [freedId, freed] = [...expected.entries()].find(([, e]) => e.seats === 2)!;
    const gone = await client(ctx.t.app, undefined).post('/v1/machines/deactivate', { key: keys.get(freedId), fingerprint: `fp-${freedId}-0` });
    assert.ok(gone.status < 300, gone.raw);
    expected.set(freedId, { ...freed, seats: 1 });

    const { result: list, calls } = await counting(ctx.t.services.products, 'codesByIds', () => ctx.api.get(`/v1/licenses?customerId=${customer.id}&limit=100`));
    assert.equal(list.status, 200, list.raw);
    assert.equal(calls, 1, 'one products call for the whole page');
    const seen = new Map(list.body.data.map((l: { id: string; product: string; activeMachines: number }) => [l.id, { product: l.product, seats: l.activeMachines }]));
    assert.deepEqual(seen, expected);
    // Each license read alone answers the same.
    for (const [id, e] of expected) {
      const one = await ctx.api.get(`/v1/licenses/${id}`);
      assert.deepEqual({ product: one.body.product, seats: one.body.activeMachines }, e);
    }
  });

  test('q finds a license by its customer\'s e-mail, and a q no customer matches still finds by license name', async () => {
    const customer = await factories.customer(ctx.api, { name: 'Quarry Works', email: `ops-${Date.now()}@quarry.example` });
    const { policy } = await factories.world(ctx.api);
    const held = await factories.license(ctx.api, policy.id, { customerId: customer.id, name: 'Unrelated name' });
    const named = await factories.license(ctx.api, policy.id, { name: 'Zephyrine seat' });
    const ids = async (q: string) => (await ctx.api.get(`/v1/licenses?q=${encodeURIComponent(q)}`)).body.data.map((l: { id: string }) => l.id);
    assert.deepEqual(await ids(customer.email), [held.id]);
    assert.deepEqual(await ids('@QUARRY.example'), [held.id], 'part of the e-mail, any case');
    assert.deepEqual(await ids('zephyrine'), [named.id]);
    assert.deepEqual(await ids('no-such-anything'), []);
  });
});
