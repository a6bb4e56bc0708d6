import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, STAFF_ROLES, canGrantRole, type Role } from '../../http/access.js';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

/** The role table's rights, in the order getMe lists them. */
const rightsOf = (...roles: Role[]) => PERMISSIONS.filter((permission) => roles.every((role) => ROLE_PERMISSIONS[role].has(permission)));
const grantableBy = (...roles: Role[]) => ROLES.filter((candidate) => roles.every((role) => canGrantRole(role, candidate)));

/** Issue 13: clients learn what the caller may do from getMe instead of a copy of the role table. */
forEachDialect('getMe: the caller\'s permissions', (dialect) => {
  const ctx = useTestApp(dialect);

  test('a signed-in user of each staff role gets exactly its role\'s permissions and grantable roles', async () => {
    for (const role of STAFF_ROLES) {
      const { token } = await factories.signedInUser(ctx.api, ctx.t.app, role);
      const me = await client(ctx.t.app, token).get('/v1/auth/me');
      assert.equal(me.status, 200, me.raw);
      assert.deepEqual(me.body.actor.permissions, rightsOf(role), `${role}: permissions`);
      assert.deepEqual(me.body.actor.grantableRoles, grantableBy(role), `${role}: grantable roles`);
    }
  });

  test('a customer user gets its customer role\'s permissions and may grant nothing', async () => {
    const customer = await factories.customer(ctx.api);
    for (const role of ['customer-admin', 'customer-member'] as const) {
      const { token } = await factories.signedInUser(ctx.api, ctx.t.app, role, customer.id);
      const me = (await client(ctx.t.app, token).get('/v1/auth/me')).body;
      assert.deepEqual([me.actor.role, me.actor.customerId], [role, customer.id]);
      assert.deepEqual(me.actor.permissions, rightsOf(role), `${role}: permissions`);
      assert.deepEqual(me.actor.grantableRoles, []);
      // Which roles are staff comes from the server too (the web app picks console or portal by it).
      assert.deepEqual(me.staffRoles, [...STAFF_ROLES]);
      assert.ok(!me.staffRoles.includes(role));
    }
  });

  test('an admin token made by a user now read-only has the rights of both roles (Actor.limitedBy), and the API agrees', async () => {
    const creator = await factories.signedInUser(ctx.api, ctx.t.app, 'admin');
    const made = await client(ctx.t.app, creator.token).post('/v1/tokens', { name: 'limited', role: 'admin' });
    assert.equal(made.status, 201, made.raw);
    const token = made.body.token as string;
    assert.deepEqual((await client(ctx.t.app, token).get('/v1/auth/me')).body.actor.permissions, rightsOf('admin'));

    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { role: 'read-only' })).status, 200);
    const me = (await client(ctx.t.app, token).get('/v1/auth/me')).body;
    assert.equal(me.actor.role, 'admin');
    assert.deepEqual(me.actor.permissions, rightsOf('admin', 'read-only'));
    assert.deepEqual(me.actor.grantableRoles, grantableBy('admin', 'read-only'));
    assert.ok(!me.actor.permissions.includes('customers:write'));
    assert.equal((await client(ctx.t.app, token).post('/v1/customers', { name: 'Refused', email: 'refused@example.com' })).status, 403);
  });

  test('the admin token (KEYHAVEN_ADMIN_TOKEN) has every permission', async () => {
    const me = (await ctx.api.get('/v1/auth/me')).body;
    assert.deepEqual(me.actor.permissions, [...PERMISSIONS]);
    assert.deepEqual(me.actor.grantableRoles, [...ROLES]);
  });
});
