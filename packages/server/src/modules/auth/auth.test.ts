import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('auth: sessions, tokens, roles', (dialect) => {
  const ctx = useTestApp(dialect);

  test('sign-in gives a session; wrong credentials do not say which part was wrong', async () => {
    const { token, email, password, user } = await factories.signedInUser(ctx.api, ctx.t.app, 'support');
    const me = await client(ctx.t.app, token).get('/v1/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, user.id);
    assert.equal(me.body.actor.role, 'support');
    const anon = client(ctx.t.app, undefined);
    const wrong = await anon.post('/v1/auth/sign-in', { email, password: password + 'x' });
    const unknown = await anon.post('/v1/auth/sign-in', { email: 'nobody@example.com', password });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.error.message, unknown.body.error.message);
    const stored = await ctx.t.deps.database.db.selectFrom('sessions').selectAll().execute();
    assert.ok(stored.every((s) => !JSON.stringify(s).includes(token.slice(4))), 'session tokens are stored as digests');
  });

  test('sessions expire, end at sign-out, and end when the user is disabled', async () => {
    const a = await factories.signedInUser(ctx.api, ctx.t.app, 'read-only');
    ctx.t.clock.advance(13 * 3_600_000);
    const expired = await client(ctx.t.app, a.token).get('/v1/auth/me');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'UNAUTHENTICATED');
    assert.equal(expired.body.error.details.reason, 'SESSION_EXPIRED');

    const b = await factories.signedInUser(ctx.api, ctx.t.app, 'read-only');
    assert.equal((await client(ctx.t.app, b.token).post('/v1/auth/sign-out')).status, 204);
    assert.equal((await client(ctx.t.app, b.token).get('/v1/auth/me')).status, 401);

    const c = await factories.signedInUser(ctx.api, ctx.t.app, 'read-only');
    assert.equal((await ctx.api.patch(`/v1/users/${c.user.id}`, { disabled: true })).status, 200);
    assert.equal((await client(ctx.t.app, c.token).get('/v1/auth/me')).status, 401);
    assert.equal((await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email: c.email, password: c.password })).status, 401);
  });

  test('changing the password ends the other sessions', async () => {
    const a = await factories.signedInUser(ctx.api, ctx.t.app, 'sales');
    const second = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email: a.email, password: a.password });
    const change = await client(ctx.t.app, a.token).post('/v1/auth/password', { currentPassword: a.password, newPassword: 'a much newer password' });
    assert.equal(change.status, 204);
    assert.equal((await client(ctx.t.app, a.token).get('/v1/auth/me')).status, 200);
    assert.equal((await client(ctx.t.app, second.body.token).get('/v1/auth/me')).status, 401);
    const bad = await client(ctx.t.app, a.token).post('/v1/auth/password', { currentPassword: 'wrong password!', newPassword: 'another new password' });
    // A wrong current password is a rule failure, not a dead session (a 401 would sign the web app out).
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'CURRENT_PASSWORD_WRONG');
    assert.equal((await client(ctx.t.app, a.token).get('/v1/auth/me')).status, 200);
  });

  test('API tokens: shown once, stored as digest, usable, revocable, expiring', async () => {
    const created = await ctx.api.post('/v1/tokens', { name: 'crm', role: 'sales', expiresInDays: 1 });
    assert.equal(created.status, 201);
    const token = created.body.token as string;
    assert.match(token, /^khat_/);
    const listed = await ctx.api.get('/v1/tokens');
    assert.ok(listed.body.data.some((x: any) => x.id === created.body.id && x.token === undefined && x.hint === token.slice(-4)));
    const rows = await ctx.t.deps.database.db.selectFrom('api_tokens').selectAll().execute();
    assert.ok(rows.every((r) => !JSON.stringify(r).includes(token)));

    const crm = client(ctx.t.app, token);
    assert.equal((await crm.post('/v1/customers', { name: 'Via token', email: 'via@example.com' })).status, 201);
    assert.equal((await crm.post('/v1/products', { name: 'Nope' })).status, 403, 'sales cannot write products');
    ctx.t.clock.advanceDays(2);
    const expired = await crm.get('/v1/customers');
    assert.equal(expired.status, 401);
    ctx.t.clock.advanceDays(-2);
    assert.equal((await ctx.api.delete(`/v1/tokens/${created.body.id}`)).status, 204);
    assert.equal((await crm.get('/v1/customers')).status, 401);
    const events = await ctx.api.get(`/v1/events?targetId=${created.body.id}`);
    assert.deepEqual(events.body.data.map((e: any) => e.action), ['token.revoked', 'token.created']);
  });

  test('nobody grants more than they have; the last owner stays', async () => {
    const admin = await factories.signedInUser(ctx.api, ctx.t.app, 'admin');
    const adminApi = client(ctx.t.app, admin.token);
    const owner = await adminApi.post('/v1/users', { email: 'would-be-owner@example.com', role: 'owner', password: 'long enough pw' });
    assert.equal(owner.status, 403);
    assert.equal(owner.body.error.code, 'ROLE_NOT_GRANTABLE');
    assert.equal((await adminApi.post('/v1/tokens', { name: 'x', role: 'owner' })).status, 403);
    assert.equal((await adminApi.post('/v1/tokens', { name: 'x', role: 'support' })).status, 201);

    const onlyOwner = await factories.signedInUser(ctx.api, ctx.t.app, 'owner');
    const others = await ctx.api.get('/v1/users?kind=staff&limit=100');
    for (const u of others.body.data) {
      if (u.role === 'owner' && u.id !== onlyOwner.user.id) await ctx.api.patch(`/v1/users/${u.id}`, { disabled: true });
    }
    const demote = await ctx.api.patch(`/v1/users/${onlyOwner.user.id}`, { role: 'admin' });
    assert.equal(demote.status, 409);
  });

  test('customer users need an organization; staff users must not have one', async () => {
    const customer = await factories.customer(ctx.api);
    assert.equal((await ctx.api.post('/v1/users', { email: 'c1@example.com', role: 'customer-admin' })).status, 400);
    assert.equal((await ctx.api.post('/v1/users', { email: 'c2@example.com', role: 'support', customerId: customer.id })).status, 400);
    assert.equal((await ctx.api.post('/v1/users', { email: 'c3@example.com', role: 'customer-member', customerId: customer.id })).status, 201);
    assert.equal((await ctx.api.post('/v1/users', { email: 'C3@example.com', role: 'customer-member', customerId: customer.id })).status, 409);
  });

  test('missing, malformed and unknown bearer tokens are 401', async () => {
    for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer khs_nope', 'Bearer khat_nope', 'Bearer something-else']) {
      const res = await ctx.t.app.inject({ method: 'GET', url: '/v1/licenses', headers: header ? { authorization: header } : {} });
      assert.equal(res.statusCode, 401, String(header));
      assert.equal(res.json().error.code, 'UNAUTHENTICATED');
    }
  });
});

forEachDialect('rate limits', (dialect) => {
  const ctx = useTestApp(dialect, { config: { clientRateLimit: 5, signInRateLimit: 3 } });

  test('validateLicense and sign-in answer 429 RATE_LIMITED with Retry-After', async () => {
    const anon = client(ctx.t.app, undefined);
    const key = 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ';
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await anon.post('/v1/licenses/validate', { key });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses.slice(5), [429, 429]);
    assert.equal(last!.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(last!.headers['retry-after']) > 0);
    assert.ok(last!.headers['keyhaven-signature'], 'a 429 on a client route is signed too');

    const signIns: number[] = [];
    for (let i = 0; i < 4; i++) signIns.push((await anon.post('/v1/auth/sign-in', { email: 'x@example.com', password: 'nope' })).status);
    assert.deepEqual(signIns, [401, 401, 401, 429]);
    // Another client IP has its own budget.
    const other = await ctx.t.app.inject({ method: 'POST', url: '/v1/auth/sign-in', remoteAddress: '10.9.9.9', payload: { email: 'x@example.com', password: 'nope' } });
    assert.equal(other.statusCode, 401);
  });
});
