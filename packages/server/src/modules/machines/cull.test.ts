import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('lapsed lease cull', (dialect) => {
  const ctx = useTestApp(dialect);

  test('removes lapsed floating leases in batches and never a live one or a node-locked seat', async () => {
    const floating = await factories.world(ctx.api, { floating: true, heartbeatSeconds: 60, maxMachines: null });
    const locked = await factories.world(ctx.api, { maxMachines: null });
    const app = client(ctx.t.app, undefined);
    for (let i = 0; i < 12; i++) await app.post('/v1/machines/activate', { key: floating.license.key, fingerprint: `f-${i}` });
    await app.post('/v1/machines/activate', { key: locked.license.key, fingerprint: 'desk' });
    ctx.t.clock.advance(100_000); // 100 s: inside the 60 s heartbeat + 60 s tolerance
    for (let i = 0; i < 3; i++) assert.equal((await app.post('/v1/machines/heartbeat', { key: floating.license.key, fingerprint: `f-${i}` })).status, 200);
    ctx.t.clock.advance(30_000); // 130 s after activation: the 9 without a heartbeat lapsed, the 3 renewed ones live
    // Lapsed rows stay for a day so the app is told HEARTBEAT_DEAD, not NO_MACHINE.
    assert.equal(await ctx.t.services.machines.cull(4), 0);
    const dead = await app.post('/v1/licenses/validate', { key: floating.license.key, fingerprint: 'f-5' });
    assert.equal(dead.body.code, 'HEARTBEAT_DEAD');
    assert.equal(await ctx.t.services.machines.cull(4, 0), 9);
    const left = await ctx.api.get(`/v1/machines?limit=100&licenseId=${floating.license.id}`);
    assert.deepEqual(left.body.data.map((m: any) => m.fingerprint).sort(), ['f-0', 'f-1', 'f-2']);
    assert.equal((await ctx.api.get(`/v1/machines?licenseId=${locked.license.id}`)).body.data.length, 1);
    assert.equal(await ctx.t.services.machines.cull(), 0);
  });
});
