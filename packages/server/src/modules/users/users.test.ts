import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

/**
 * Who lists which users: the portal's group pages let a customer admin pick members from its organization's
 * users, so `listUsers` answers a customer admin with those and nothing else (staff, partners, another
 * organization's people: not even with a filter naming them); a member may not list users at all.
 */
forEachDialect('users', (dialect) => {
  const ctx = useTestApp(dialect);

  test('a customer admin lists the users of its own organization only; a member lists none', async () => {
    const api = ctx.api;
    const mine = await factories.customer(api);
    const theirs = await factories.customer(api);
    const admin = await factories.signedInUser(api, ctx.t.app, 'customer-admin', mine.id);
    const colleague = await factories.signedInUser(api, ctx.t.app, 'customer-member', mine.id);
    const stranger = await factories.signedInUser(api, ctx.t.app, 'customer-member', theirs.id);
    const staff = await factories.signedInUser(api, ctx.t.app, 'support');
    const asAdmin = client(ctx.t.app, admin.token);

    const listed = async (query: string) => {
      const res = await asAdmin.get(`/v1/users?limit=100${query}`);
      assert.equal(res.status, 200, res.raw);
      return (res.body.data as { id: string }[]).map((u) => u.id).sort();
    };
    assert.deepEqual(await listed(''), [admin.user.id, colleague.user.id].sort());
    assert.deepEqual(await listed(`&customerId=${mine.id}`), [admin.user.id, colleague.user.id].sort());
    assert.deepEqual(await listed(`&customerId=${theirs.id}`), [], "another organization's users are not listed");
    assert.deepEqual(await listed('&kind=staff'), []);
    assert.equal((await asAdmin.get(`/v1/users/${stranger.user.id}`)).status, 404);
    assert.equal((await asAdmin.get(`/v1/users/${staff.user.id}`)).status, 404);
    assert.equal((await client(ctx.t.app, colleague.token).get('/v1/users')).status, 403, 'members have no users:read');
  });
});
