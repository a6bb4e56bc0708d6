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

  test('event answers name the actor and the target; a customer viewer gets no name of staff or of another organization', async () => {
    const staff = await factories.signedInUser(ctx.api, ctx.t.app, 'admin');
    const asStaff = client(ctx.t.app, staff.token);
    assert.equal((await asStaff.patch(`/v1/users/${staff.user.id}`, { name: 'Dana Reyes' })).status, 200);
    const { customer, license, product } = await factories.world(ctx.api);
    const renamed = await asStaff.patch(`/v1/licenses/${license.id}`, { name: 'Studio seats' });
    assert.equal(renamed.status, 200, renamed.raw);
    const productEdit = await asStaff.patch(`/v1/products/${product.id}`, { description: 'named' });
    assert.equal(productEdit.status, 200, productEdit.raw);

    const [edit] = (await ctx.api.get(`/v1/events?targetId=${license.id}&action=license.updated`)).body.data;
    assert.deepEqual(edit.actor, { type: 'user', id: staff.user.id, name: `Dana Reyes (${staff.email})` });
    assert.deepEqual(edit.target, { type: 'license', id: license.id, name: 'Studio seats' });
    const [byAdminToken] = (await ctx.api.get(`/v1/events?targetId=${customer.id}&action=customer.created`)).body.data;
    assert.equal(byAdminToken.actor.name, 'Admin token');
    assert.equal(byAdminToken.target.name, customer.name);
    const [productEvent] = (await ctx.api.get(`/v1/events?targetId=${product.id}&action=product.updated`)).body.data;
    assert.equal(productEvent.target.name, product.name);
    const [fromLicenseHistory] = (await ctx.api.get(`/v1/licenses/${license.id}/events?limit=1`)).body.data;
    assert.equal(fromLicenseHistory.actor.name, `Dana Reyes (${staff.email})`, 'the license history names the actor too');

    const member = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id);
    const seen = (await client(ctx.t.app, member.token).get(`/v1/events?targetId=${license.id}&action=license.updated`)).body.data;
    assert.equal(seen.length, 1);
    assert.equal(seen[0].target.name, 'Studio seats', 'its own license is named');
    assert.equal(seen[0].actor.name, null, 'a staff user is not named to customers');
  });
});
