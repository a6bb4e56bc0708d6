import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { CHANGE_PASSWORD_MAX_FAILURES } from './passwords.service.js';
import { RESET_REQUEST_JOB } from './password-links.service.js';

/** Issue 12 items 5, 9 and 10: who may act on a user's password, and how guessing and probing are held off. */
forEachDialect('password access', (dialect) => {
  const ctx = useTestApp(dialect);
  const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  test('every user action follows one rule: an admin cannot update, disable, re-password or link an owner', async () => {
    const admin = await factories.signedInUser(ctx.api, ctx.t.app, 'admin');
    const api = client(ctx.t.app, admin.token);
    const owner = (await ctx.api.post('/v1/users', { email: `owner-${unique()}@example.com`, role: 'owner', password: 'the owner password' })).body;
    const attempts = [
      await api.patch(`/v1/users/${owner.id}`, { name: 'Renamed' }),
      await api.patch(`/v1/users/${owner.id}`, { disabled: true }),
      await api.patch(`/v1/users/${owner.id}`, { password: 'admin knows this now' }),
      await api.post(`/v1/users/${owner.id}/actions/send-password-link`),
      await api.post(`/v1/users/${owner.id}/actions/send-password-link`, { deliver: 'show' }),
    ];
    for (const res of attempts) {
      assert.equal(res.status, 403, res.raw);
      assert.equal(res.body.error.code, 'ROLE_NOT_GRANTABLE');
    }
    assert.equal((await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email: owner.email, password: 'the owner password' })).status, 200);
    assert.equal((await ctx.t.deps.database.db.selectFrom('password_tokens').selectAll().where('user_id', '=', owner.id).execute()).length, 0);
    // A token of the admin is held to the same rule.
    const token = (await api.post('/v1/tokens', { name: 'admin token', role: 'admin' })).body.token;
    assert.equal((await client(ctx.t.app, token).post(`/v1/users/${owner.id}/actions/send-password-link`, { deliver: 'show' })).status, 403);
  });

  test('without SMTP, staff can be shown a one-time link once, for staff and customer users; audited without the secret', async () => {
    const admin = await factories.signedInUser(ctx.api, ctx.t.app, 'admin');
    const api = client(ctx.t.app, admin.token);
    const customer = await factories.customer(ctx.api);
    const invited = [
      (await api.post('/v1/users', { email: `invited-staff-${unique()}@example.com`, role: 'support' })).body,
      (await api.post('/v1/users', { email: `invited-customer-${unique()}@example.com`, role: 'customer-admin', customerId: customer.id })).body,
    ];
    for (const user of invited) {
      const shown = await api.post(`/v1/users/${user.id}/actions/send-password-link`, { deliver: 'show' });
      assert.equal(shown.status, 200, shown.raw);
      assert.equal(shown.headers['cache-control'], 'no-store');
      assert.match(shown.body.url, /^http:\/\/localhost:8080\/set-password\?token=khpw_[A-Za-z0-9_-]+$/);
      const token = new URL(shown.body.url).searchParams.get('token')!;
      // Nothing was mailed, and the audit event names the action, not the link.
      assert.equal((await ctx.api.get(`/v1/outbox?to=${encodeURIComponent(user.email)}`)).body.data.length, 0);
      const events = await ctx.api.get(`/v1/events?targetId=${user.id}&action=user.password_link_shown`);
      assert.equal(events.body.data.length, 1);
      assert.deepEqual({ type: events.body.data[0].actor.type, id: events.body.data[0].actor.id }, { type: 'user', id: admin.user.id });
      assert.ok(!JSON.stringify(events.body).includes(token.slice(5)), 'the event does not hold the token');
      // The link works once; then the user signs in.
      const done = await client(ctx.t.app, undefined).post('/v1/auth/password-reset/complete', { token, password: 'chosen by the invitee' });
      assert.equal(done.status, 204, done.raw);
      assert.equal((await client(ctx.t.app, undefined).post('/v1/auth/password-reset/complete', { token, password: 'chosen by the invitee' })).status, 400);
      assert.equal((await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email: user.email, password: 'chosen by the invitee' })).status, 200);
    }
    // Roles without users:write cannot; an unknown deliver value is a 400.
    const support = await factories.signedInUser(ctx.api, ctx.t.app, 'support');
    assert.equal((await client(ctx.t.app, support.token).post(`/v1/users/${invited[0].id}/actions/send-password-link`, { deliver: 'show' })).status, 403);
    const bad = await api.post(`/v1/users/${invited[0].id}/actions/send-password-link`, { deliver: 'sms' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  });

  test('wrong current passwords are limited per account: 429 RATE_LIMITED with Retry-After, then locked for a window', async () => {
    const user = await factories.signedInUser(ctx.api, ctx.t.app, 'sales');
    const other = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email: user.email, password: user.password });
    const change = (token: string, currentPassword: string) => client(ctx.t.app, token).post('/v1/auth/password', { currentPassword, newPassword: 'a new passphrase here' });
    for (let i = 0; i < CHANGE_PASSWORD_MAX_FAILURES; i++) {
      const res = await change(user.token, `wrong guess ${i}`);
      assert.equal(res.status, 400, res.raw);
      assert.equal(res.body.error.code, 'CURRENT_PASSWORD_WRONG');
    }
    const limited = await change(user.token, 'wrong guess again');
    assert.equal(limited.status, 429, limited.raw);
    assert.equal(limited.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // Locked per account, whatever the session, and even with the right password.
    const right = await change(other.body.token, user.password);
    assert.equal(right.status, 429, right.raw);
    // After the window the right password works, and clears the count.
    ctx.t.clock.advance(Number(limited.headers['retry-after']) * 1000 + 1000);
    assert.equal((await change(user.token, user.password)).status, 204);
    assert.equal((await ctx.t.deps.database.db.selectFrom('password_attempts').selectAll().where('user_id', '=', user.user.id).execute()).length, 0);
    // Another account is not affected by this one's lock.
    const bystander = await factories.signedInUser(ctx.api, ctx.t.app, 'sales');
    assert.equal((await change(bystander.token, bystander.password)).status, 204);
  });

  test('a reset request does the same work whether or not the address has an account', async () => {
    const known = await factories.signedInUser(ctx.api, ctx.t.app, 'support');
    const db = ctx.t.deps.database.db;
    const counts = async () => ({
      jobs: (await db.selectFrom('jobs').select('id').where('type', '=', RESET_REQUEST_JOB).execute()).length,
      tokens: (await db.selectFrom('password_tokens').select('id').execute()).length,
      mail: (await db.selectFrom('mail_outbox').select('id').execute()).length,
      events: (await db.selectFrom('events').select('id').execute()).length,
    });
    const effect = async (email: string) => {
      const before = await counts();
      const res = await client(ctx.t.app, undefined).post('/v1/auth/password-reset', { email });
      assert.equal(res.status, 202);
      const after = await counts();
      return { jobs: after.jobs - before.jobs, tokens: after.tokens - before.tokens, mail: after.mail - before.mail, events: after.events - before.events };
    };
    const forKnown = await effect(known.email);
    const forUnknown = await effect(`nobody-${unique()}@example.com`);
    assert.deepEqual(forKnown, { jobs: 1, tokens: 0, mail: 0, events: 0 });
    assert.deepEqual(forUnknown, forKnown, 'the same writes either way');
    // The job stores the address sealed, not readable in the jobs view.
    const jobs = await ctx.api.get('/v1/jobs?limit=100');
    assert.ok(!JSON.stringify(jobs.body).includes(known.email));
    // Then the worker mails the existing account only.
    await ctx.t.services.worker.drain();
    const mails = (await ctx.api.get('/v1/outbox?template=password.reset')).body.data;
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0].to, [known.email]);
  });
});
