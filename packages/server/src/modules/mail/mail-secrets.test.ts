import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, factories, forEachDialect, startTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../testing/smtp.js';

/**
 * Issue 12 item 5: one-time tokens are never readable by staff, in any form. The attacker is an admin who
 * edits `password.set` to print the link's token reversed, base64, split, character by character and in
 * attributes, sends a user a link and then reads every staff view of the outbox.
 */
const HOSTILE = {
  subject: 'Link {{ url | slice: -24, 24 }}',
  text: [
    'plain={{ url }}',
    'rev={{ url | split: "" | reverse | join: "" }}',
    'b64={{ url | base64_encode }}',
    '{% assign parts = url | split: "token=" %}half1={{ parts[1] | slice: 0, 12 }} half2={{ parts[1] | slice: 12, 200 }}',
    'chars={% assign cs = url | split: "" %}{% for c in cs %}{{ c }}.{% endfor %}',
    'enc={{ url | url_encode }}',
    'up={{ url | upcase }}',
  ].join('\n'),
  html: '<a href="{{ url }}" data-secret="{{ url | reverse }}" title="{{ url | base64_encode }}">set</a><p>{{ url | split: "" | reverse | join: "" }}</p>',
};

/** Every form of `token` an edited template above can print. */
function forms(token: string, url: string): string[] {
  const reversed = (s: string) => [...s].reverse().join('');
  return [
    token,
    token.slice(5), // without the khpw_ prefix
    reversed(token),
    reversed(url),
    Buffer.from(url).toString('base64'),
    Buffer.from(token).toString('base64'),
    token.slice(5, 17),
    token.slice(17),
    [...token.slice(5)].join('.'),
    encodeURIComponent(url),
    token.toUpperCase(),
  ];
}

function assertHidden(where: string, value: unknown, token: string, url: string): void {
  const text = JSON.stringify(value);
  for (const form of forms(token, url)) assert.ok(!text.includes(form), `${where} shows the token as ${form.slice(0, 30)}…`);
}

forEachDialect('one-time secrets in the outbox', (dialect) => {
  let t: TestApp;
  let held: TestApp;
  let smtp: TestSmtpServer;
  let owner: Client;

  before(async () => {
    smtp = await startTestSmtpServer({ rcptCode: (address) => (address.startsWith('bounce-') ? 550 : undefined) });
    t = await startTestApp(dialect, { config: { smtpUrl: smtp.url } });
    held = await startTestApp(dialect);
    owner = client(t.app);
  });
  after(async () => {
    await t?.close();
    await held?.close();
    await smtp?.stop();
  });

  test('an admin edits the template to print the token in other forms; no staff view reveals it, the recipient gets a working link', async () => {
    const admin = await factories.signedInUser(owner, t.app, 'admin');
    const api = client(t.app, admin.token);
    assert.equal((await api.call('PUT', '/v1/mail-templates/password.set', HOSTILE)).status, 200);

    const victim = await owner.post('/v1/users', { email: `victim-${Date.now()}@example.com`, role: 'support' });
    const bounce = await owner.post('/v1/users', { email: `bounce-${Date.now()}@example.com`, role: 'support' });
    assert.equal((await api.post(`/v1/users/${victim.body.id}/actions/send-password-link`)).status, 202);
    assert.equal((await api.post(`/v1/users/${bounce.body.id}/actions/send-password-link`)).status, 202);
    await t.services.worker.drain();

    // The recipient's mail holds the link where the template printed it plainly (and only there).
    const delivered = smtp.received.find((m) => m.envelopeTo.includes(victim.body.email));
    assert.ok(delivered, 'the mail was delivered');
    const match = /plain=(http:\/\/localhost:8080\/set-password\?token=(khpw_[A-Za-z0-9_-]+))/.exec(delivered.text ?? '');
    assert.ok(match, `a working link in: ${delivered.text}`);
    const [, url, token] = match as unknown as [string, string, string];
    assert.ok(!(delivered.text ?? '').includes([...token].reverse().join('')), 'a transformed placeholder stays a placeholder, even for the recipient');

    // Every staff view: the list, each detail, a filtered list, the retry of the failed one.
    const list = await api.get('/v1/outbox?template=password.set&limit=100');
    assert.equal(list.status, 200);
    assert.ok(list.body.data.length >= 2);
    assertHidden('the outbox list', list.body, token, url);
    for (const mail of list.body.data) assertHidden(`mail ${mail.id}`, (await api.get(`/v1/outbox/${mail.id}`)).body, token, url);
    assertHidden('the filtered list', (await api.get(`/v1/outbox?to=${encodeURIComponent(victim.body.email)}`)).body, token, url);
    const failed = list.body.data.find((m: { to: string[] }) => m.to.includes(bounce.body.email));
    assert.equal(failed.status, 'failed');
    const retried = await api.post(`/v1/outbox/${failed.id}/actions/retry`);
    assert.equal(retried.status, 200, retried.raw);
    assertHidden('the retry answer', retried.body, token, url);
    const shown = list.body.data.find((m: { to: string[] }) => m.to.includes(victim.body.email));
    assert.match(shown.text, /plain=http:\/\/localhost:8080\/set-password\?token=\[one-time secret\]/);

    // Nor the audit log, the jobs, or the stored rows (bodies are sealed; subjects are not).
    assertHidden('the events', (await api.get('/v1/events?limit=100')).body, token, url);
    assertHidden('the jobs', (await owner.get('/v1/jobs?limit=100')).body, token, url);
    assertHidden('the outbox rows', await t.deps.database.db.selectFrom('mail_outbox').selectAll().execute(), token, url);

    // The link works for the recipient.
    const done = await client(t.app, undefined).post('/v1/auth/password-reset/complete', { token, password: 'the victim chose this' });
    assert.equal(done.status, 204, done.raw);
  });

  test('held mail (no SMTP): the outbox and its held view show the mail without the secret', async () => {
    const api = client(held.app);
    assert.equal((await api.call('PUT', '/v1/mail-templates/password.set', HOSTILE)).status, 200);
    const user = await api.post('/v1/users', { email: `held-${Date.now()}@example.com`, role: 'sales' });
    assert.equal((await api.post(`/v1/users/${user.body.id}/actions/send-password-link`)).status, 202);
    const mails = await api.get('/v1/outbox?status=held&template=password.set');
    assert.equal(mails.body.data.length, 1);
    const mail = (await api.get(`/v1/outbox/${mails.body.data[0].id}`)).body;
    // Nothing in the view is a token at all; what the template did to the placeholder shows, harmlessly.
    assert.doesNotMatch(JSON.stringify(mail), /khpw_/);
    assert.match(mail.html, /href="http:\/\/localhost:8080\/set-password\?token=\[one-time secret\]"/);
    // The stored bodies, decrypted, hold placeholders only.
    const stored = await held.deps.database.db.selectFrom('mail_bodies').selectAll().where('mail_id', '=', mail.id).executeTakeFirstOrThrow();
    const text = held.deps.keyring.decrypt(`mail.text:${mail.id}`, stored.text_ciphertext).toString('utf8');
    assert.doesNotMatch(text, /khpw_/);
    assert.match(text, /token=khsecret_[0-9a-f]{24}/);
    assert.ok(stored.secrets_ciphertext, 'the secret is sealed apart');
  });

  test('an admin cannot send, or be shown, a set-password link for an owner', async () => {
    const admin = await factories.signedInUser(owner, t.app, 'admin');
    const target = await owner.post('/v1/users', { email: `owner-${Date.now()}@example.com`, role: 'owner' });
    for (const deliver of ['mail', 'show']) {
      const res = await client(t.app, admin.token).post(`/v1/users/${target.body.id}/actions/send-password-link`, { deliver });
      assert.equal(res.status, 403, res.raw);
      assert.equal(res.body.error.code, 'ROLE_NOT_GRANTABLE');
    }
    const outbox = await owner.get(`/v1/outbox?to=${encodeURIComponent(target.body.email)}`);
    assert.equal(outbox.body.data.length, 0, 'no link went out');
  });
});
