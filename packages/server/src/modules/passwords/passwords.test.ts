import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, factories, forEachDialect, startTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../testing/smtp.js';

let counter = 0;
const address = (label: string) => `${label}-${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;

/** The token of the set-password link in a mail's text. */
function linkToken(mail: ReceivedMail): string {
  const match = /http:\/\/localhost:8080\/set-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '');
  assert.ok(match, `no set-password link in: ${mail.text}`);
  return match[1]!;
}

forEachDialect('password links', (dialect) => {
  let t: TestApp;
  let api: Client;
  let anon: Client;
  let smtp: TestSmtpServer;
  const mailsTo = (to: string) => smtp.received.filter((m) => m.envelopeTo.includes(to));
  const deliver = () => t.services.worker.drain();

  before(async () => {
    smtp = await startTestSmtpServer();
    t = await startTestApp(dialect, { config: { smtpUrl: smtp.url } });
    api = client(t.app);
    anon = client(t.app, undefined);
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  test('reset end to end: request → mail with link → complete → sign in with the new password; the link works once', async () => {
    const customer = await factories.customer(api);
    const user = await factories.signedInUser(api, t.app, 'customer-admin', customer.id);
    const requested = await anon.post('/v1/auth/password-reset', { email: user.email.toUpperCase() });
    assert.equal(requested.status, 202, requested.raw);
    await deliver();
    const [mail] = mailsTo(user.email);
    assert.ok(mail, 'the reset mail arrived');
    assert.equal(mail.subject, 'Reset your password');
    const token = linkToken(mail);
    assert.match(String(mail.html), new RegExp(`set-password\\?token=${token}`));

    // The token is stored only as a digest.
    const rows = await t.deps.database.db.selectFrom('password_tokens').selectAll().execute();
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => !r.token_digest.includes(token)));
    // The outbox shows the mail, not the token.
    const outbox = await api.get(`/v1/outbox?to=${encodeURIComponent(user.email)}&template=password.reset`);
    assert.equal(outbox.body.data.length, 1);
    assert.doesNotMatch(JSON.stringify(outbox.body), new RegExp(token));

    const tooShort = await anon.post('/v1/auth/password-reset/complete', { token, password: 'short' });
    assert.equal(tooShort.status, 400);
    assert.equal(tooShort.body.error.code, 'VALIDATION_FAILED');
    const done = await anon.post('/v1/auth/password-reset/complete', { token, password: 'a brand new passphrase' });
    assert.equal(done.status, 204, done.raw);

    assert.equal((await anon.post('/v1/auth/sign-in', { email: user.email, password: user.password })).status, 401, 'the old password is gone');
    const signIn = await anon.post('/v1/auth/sign-in', { email: user.email, password: 'a brand new passphrase' });
    assert.equal(signIn.status, 200, signIn.raw);
    assert.equal((await client(t.app, user.token).get('/v1/auth/me')).status, 401, 'sessions from before the reset end');

    const again = await anon.post('/v1/auth/password-reset/complete', { token, password: 'yet another passphrase' });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'TOKEN_INVALID');
    const unknown = await anon.post('/v1/auth/password-reset/complete', { token: 'khpw_nope', password: 'yet another passphrase' });
    assert.equal(unknown.body.error.code, 'TOKEN_INVALID');

    const events = await api.get(`/v1/events?targetType=user&targetId=${user.user.id}`);
    const actions = events.body.data.map((e: any) => e.action);
    assert.ok(actions.includes('user.password_reset_requested'));
    assert.ok(actions.includes('user.password_reset'));
  });

  test('an unknown address gets the same 202 and no mail; a second request within a minute sends no second mail', async () => {
    const before = smtp.received.length;
    const ghost = await anon.post('/v1/auth/password-reset', { email: address('ghost') });
    assert.equal(ghost.status, 202);
    assert.equal(ghost.raw, '');
    await deliver();
    assert.equal(smtp.received.length, before);

    const user = await factories.signedInUser(api, t.app, 'support');
    await anon.post('/v1/auth/password-reset', { email: user.email });
    await anon.post('/v1/auth/password-reset', { email: user.email });
    await deliver();
    assert.equal(mailsTo(user.email).length, 1);
    t.clock.advance(61_000);
    await anon.post('/v1/auth/password-reset', { email: user.email });
    await deliver();
    const mails = mailsTo(user.email);
    assert.equal(mails.length, 2);
    // The newer link replaces the older one.
    const stale = await anon.post('/v1/auth/password-reset/complete', { token: linkToken(mails[0]!), password: 'the newest passphrase' });
    assert.equal(stale.body.error.code, 'TOKEN_INVALID');
    assert.equal((await anon.post('/v1/auth/password-reset/complete', { token: linkToken(mails[1]!), password: 'the newest passphrase' })).status, 204);
  });

  test('a reset link expires after an hour; a disabled account gets no link', async () => {
    const user = await factories.signedInUser(api, t.app, 'sales');
    await anon.post('/v1/auth/password-reset', { email: user.email });
    await deliver();
    const token = linkToken(mailsTo(user.email)[0]!);
    t.clock.advance(3_600_000 + 1000);
    const expired = await anon.post('/v1/auth/password-reset/complete', { token, password: 'too late for this one' });
    assert.equal(expired.status, 400);
    assert.equal(expired.body.error.code, 'TOKEN_INVALID');
    assert.equal((await anon.post('/v1/auth/sign-in', { email: user.email, password: user.password })).status, 200, 'the password is unchanged');

    const disabled = await factories.signedInUser(api, t.app, 'sales');
    await api.patch(`/v1/users/${disabled.user.id}`, { disabled: true });
    await anon.post('/v1/auth/password-reset', { email: disabled.email });
    await deliver();
    assert.equal(mailsTo(disabled.email).length, 0);
  });

  test('a set-password link (new portal user) lasts 7 days; passwordLinks.create works inside a caller\'s transaction', async () => {
    const customer = await factories.customer(api);
    const email = address('portal');
    const created = await api.post('/v1/users', { email, role: 'customer-member', customerId: customer.id });
    assert.equal(created.status, 201, created.raw);
    assert.equal(created.body.hasPassword, false);
    const sent = await api.post(`/v1/users/${created.body.id}/actions/send-password-link`);
    assert.equal(sent.status, 202, sent.raw);
    assert.equal(sent.body.expiresAt, new Date(t.clock.now().getTime() + 7 * 86_400_000).toISOString());
    await deliver();
    const [mail] = mailsTo(email);
    assert.equal(mail!.subject, 'Set your password');
    t.clock.advanceDays(6);
    assert.equal((await anon.post('/v1/auth/password-reset/complete', { token: linkToken(mail!), password: 'my first passphrase' })).status, 204);
    assert.equal((await anon.post('/v1/auth/sign-in', { email, password: 'my first passphrase' })).status, 200);

    // The API other modules use: a link created with the caller's change, in one transaction.
    const other = await api.post('/v1/users', { email: address('order-buyer'), role: 'customer-member', customerId: customer.id });
    const link = await t.deps.database.db.transaction().execute((trx) => t.services.passwordLinks.create(trx, other.body.id, 'set'));
    assert.match(link.url, /^http:\/\/localhost:8080\/set-password\?token=khpw_/);
    t.clock.advanceDays(7);
    t.clock.advance(1000);
    assert.equal((await anon.post('/v1/auth/password-reset/complete', { token: link.token, password: 'my first passphrase' })).body.error.code, 'TOKEN_INVALID');
    const rolledBack = await t.deps.database.db
      .transaction()
      .execute(async (trx) => {
        const l = await t.services.passwordLinks.create(trx, other.body.id, 'set');
        throw Object.assign(new Error('rollback'), { l });
      })
      .catch((error: { l: { token: string } }) => error.l);
    assert.equal((await anon.post('/v1/auth/password-reset/complete', { token: rolledBack.token, password: 'my first passphrase' })).body.error.code, 'TOKEN_INVALID');
  });

  test('reset requests are rate-limited per IP', async () => {
    const limited = await startTestApp(dialect, { config: { passwordResetRateLimit: 2 } });
    try {
      const c = client(limited.app, undefined);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await c.post('/v1/auth/password-reset', { email: address('rl') })).status);
      assert.deepEqual(statuses, [202, 202, 429]);
    } finally {
      await limited.close();
    }
  });
});
