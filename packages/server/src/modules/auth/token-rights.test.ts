import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

/** Issue 12 item 6: an API token can never do more than its creator can do now. */
forEachDialect('API tokens answer to their creator', (dialect) => {
  const ctx = useTestApp(dialect);

  /** A signed-in admin (or another staff role) and an API token it created with `tokenRole`. */
  async function creatorWithToken(role: string, tokenRole: string) {
    const creator = await factories.signedInUser(ctx.api, ctx.t.app, role);
    const made = await client(ctx.t.app, creator.token).post('/v1/tokens', { name: `${role} integration`, role: tokenRole });
    assert.equal(made.status, 201, made.raw);
    return { creator, token: made.body.token as string, tokenId: made.body.id as string };
  }

  test('an admin demoted to read-only: its admin token can no longer create customers (403), only read', async () => {
    const { creator, token } = await creatorWithToken('admin', 'admin');
    const before = await client(ctx.t.app, token).post('/v1/customers', { name: 'Before demotion', email: 'before@example.com' });
    assert.equal(before.status, 201, before.raw);

    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { role: 'read-only' })).status, 200);
    const after = await client(ctx.t.app, token).post('/v1/customers', { name: 'After demotion', email: 'after@example.com' });
    assert.equal(after.status, 403, after.raw);
    assert.equal(after.body.error.code, 'FORBIDDEN');
    assert.equal((await client(ctx.t.app, token).get('/v1/customers')).status, 200, 'what read-only may do still works');
    const user = await client(ctx.t.app, token).post('/v1/users', { email: 'sneaky-demoted@example.com', role: 'admin', password: 'correct horse battery' });
    assert.equal(user.status, 403, user.raw);

    // Promoted back: the token works again (it follows the creator's current role, both ways up to its own).
    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { role: 'admin' })).status, 200);
    assert.equal((await client(ctx.t.app, token).post('/v1/customers', { name: 'Again', email: 'again@example.com' })).status, 201);
  });

  test('a disabled admin: its token is refused (401) and cannot create an admin user', async () => {
    const { creator, token } = await creatorWithToken('admin', 'admin');
    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { disabled: true })).status, 200);
    const attempt = await client(ctx.t.app, token).post('/v1/users', { email: 'backdoor-admin@example.com', role: 'admin', password: 'correct horse battery' });
    assert.equal(attempt.status, 401, attempt.raw);
    assert.equal(attempt.body.error.code, 'UNAUTHENTICATED');
    assert.equal((await ctx.api.get('/v1/users?kind=staff&limit=100')).body.data.some((u: { email: string }) => u.email === 'backdoor-admin@example.com'), false);
    // Enabled again, it works again.
    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { disabled: false })).status, 200);
    assert.equal((await client(ctx.t.app, token).get('/v1/customers')).status, 200);
  });

  test('an owner demoted to admin: its owner token cannot grant owner any more', async () => {
    const { creator, token } = await creatorWithToken('owner', 'owner');
    const first = await client(ctx.t.app, token).post('/v1/users', { email: `owner-by-token-${Date.now()}@example.com`, role: 'owner', password: 'correct horse battery' });
    assert.equal(first.status, 201, first.raw);
    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { role: 'admin' })).status, 200);
    const second = await client(ctx.t.app, token).post('/v1/users', { email: `owner-by-token-2-${Date.now()}@example.com`, role: 'owner', password: 'correct horse battery' });
    assert.equal(second.status, 403, second.raw);
    assert.equal(second.body.error.code, 'ROLE_NOT_GRANTABLE');
    const ownerToken = await client(ctx.t.app, token).post('/v1/tokens', { name: 'escalate', role: 'owner' });
    assert.equal(ownerToken.status, 403, ownerToken.raw);
  });

  test('a token made by a token answers to the first token and its user; customer tokens follow their creator too', async () => {
    const { creator, token, tokenId } = await creatorWithToken('admin', 'admin');
    const child = await client(ctx.t.app, token).post('/v1/tokens', { name: 'child', role: 'sales' });
    assert.equal(child.status, 201, child.raw);
    const customer = await factories.customer(ctx.api);
    const customerToken = await client(ctx.t.app, creator.token).post('/v1/tokens', { name: 'portal sync', role: 'customer-member', customerId: customer.id });
    assert.equal(customerToken.status, 201, customerToken.raw);
    assert.equal((await client(ctx.t.app, child.body.token).get('/v1/licenses')).status, 200);
    assert.equal((await client(ctx.t.app, customerToken.body.token).get('/v1/licenses')).status, 200);

    // Demoting the admin to support takes the child's sales rights that support lacks.
    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { role: 'support' })).status, 200);
    const policy = await factories.policy(ctx.api, (await factories.product(ctx.api)).id);
    assert.equal((await client(ctx.t.app, child.body.token).post('/v1/licenses', { policyId: policy.id })).status, 403);

    // Revoking the parent token ends the child; disabling the user ends the customer token.
    assert.equal((await ctx.api.delete(`/v1/tokens/${tokenId}`)).status, 204);
    assert.equal((await client(ctx.t.app, child.body.token).get('/v1/licenses')).status, 401);
    assert.equal((await ctx.api.patch(`/v1/users/${creator.user.id}`, { disabled: true })).status, 200);
    assert.equal((await client(ctx.t.app, customerToken.body.token).get('/v1/licenses')).status, 401);
  });

  test('KEYHAVEN_ADMIN_TOKEN and tokens it made are unaffected by any user', async () => {
    const made = await ctx.api.post('/v1/tokens', { name: 'automation', role: 'admin' });
    assert.equal(made.status, 201, made.raw);
    assert.equal(made.body.createdBy, null);
    assert.equal((await client(ctx.t.app, made.body.token).post('/v1/customers', { name: 'Automation', email: 'automation@example.com' })).status, 201);
    assert.equal((await ctx.api.post('/v1/customers', { name: 'Admin token', email: 'admintoken@example.com' })).status, 201);
  });
});
