import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('listing customers', (dialect) => {
  const ctx = useTestApp(dialect);

  test("partnerId lists one partner's customers (the console's partner page); a partner user's own scope still applies", async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const group = (await api.post('/v1/product-groups', { name: `Group ${Date.now()}`, productIds: [product.id] })).body;
    const grants = [{ productGroupId: group.id, rights: ['customers:create'] }];
    const P = (await api.post('/v1/partners', { name: 'P', grants })).body;
    const Q = (await api.post('/v1/partners', { name: 'Q', grants })).body;
    const ofP = await factories.customer(api, { partnerId: P.id });
    const ofQ = await factories.customer(api, { partnerId: Q.id });
    await factories.customer(api);

    const listed = await api.get(`/v1/customers?partnerId=${P.id}`);
    assert.equal(listed.status, 200, listed.raw);
    assert.deepEqual(listed.body.data.map((c: any) => c.id), [ofP.id]);
    assert.deepEqual((await api.get(`/v1/customers?partnerId=${Q.id}`)).body.data.map((c: any) => c.id), [ofQ.id]);

    const password = 'correct horse battery';
    const email = `partner-${Date.now()}@example.com`;
    assert.equal((await api.post('/v1/users', { email, password, role: 'partner-member', partnerId: P.id })).status, 201);
    const asP = client(ctx.t.app, (await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password })).body.token);
    assert.deepEqual((await asP.get(`/v1/customers?partnerId=${Q.id}`)).body.data, [], "another partner's customers stay out of reach");
  });
});
