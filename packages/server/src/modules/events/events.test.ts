import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('audit log filters', (dialect) => {
  const ctx = useTestApp(dialect);

  test('GET /v1/events filters by action prefix, actor, customer and time range', async () => {
    const start = ctx.t.clock.now().toISOString();
    const customer = await factories.customer(ctx.api);
    ctx.t.clock.advanceDays(1);
    const middle = ctx.t.clock.now().toISOString();
    const staff = await factories.signedInUser(ctx.api, ctx.t.app, 'admin');
    const asStaff = client(ctx.t.app, staff.token);
    const product = (await asStaff.post('/v1/products', { name: 'Filtered' })).body;
    assert.ok(product.id);
    const updated = await asStaff.patch(`/v1/customers/${customer.id}`, { notes: 'called' });
    assert.equal(updated.status, 200, updated.raw);

    const actions = async (query: string) => (await ctx.api.get(`/v1/events?limit=100&${query}`)).body.data.map((e: any) => e.action);
    assert.deepEqual(await actions('action=customer.*&customerId=' + customer.id), ['customer.updated', 'customer.created']);
    assert.deepEqual(await actions(`actorId=${staff.user.id}&action=product.*`), ['product.created']);
    assert.deepEqual(await actions(`actorId=${staff.user.id}&customerId=${customer.id}`), ['customer.updated']);
    assert.deepEqual(await actions(`customerId=${customer.id}&until=${encodeURIComponent(middle)}`), ['customer.created']);
    assert.deepEqual(await actions(`customerId=${customer.id}&since=${encodeURIComponent(middle)}`), ['customer.updated']);
    assert.deepEqual(await actions(`customerId=${customer.id}&since=${encodeURIComponent(start)}&until=${encodeURIComponent(start)}`), []);
    const bad = await ctx.api.get('/v1/events?since=yesterday');
    assert.equal(bad.status, 400);
  });
});
