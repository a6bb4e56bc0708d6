import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../app.js';
import { client, factories, forEachDialect, startTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../testing/smtp.js';
import type { SendMail } from './mail.service.js';

let counter = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}${(counter++).toString(36)}`;
const address = (label: string) => `${unique(label)}@example.com`;

/** Refuses `bounce-…` recipients for good (550) and `later-…` for now (451). */
const rcptCode = (a: string) => (a.startsWith('bounce-') ? 550 : a.startsWith('later-') ? 451 : undefined);

/** The List-Unsubscribe URL of a received mail, from its raw header line. */
function unsubscribeLink(mail: ReceivedMail): string | undefined {
  const line = mail.headerLines.find((h) => h.key === 'list-unsubscribe');
  return line ? /<([^>]+)>/.exec(line.line)?.[1] : undefined;
}
const rawHeader = (mail: ReceivedMail, key: string) => mail.headerLines.find((h) => h.key === key)?.line.replace(/^[^:]+:\s*/, '');

const licenseMail = (to: string, extra: Partial<SendMail> = {}): SendMail => ({
  template: 'license.issued',
  to,
  data: {
    customer: { name: 'Acme <Corp> & Sons' },
    product: { name: 'Photon Studio' },
    license: { key: 'F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C', expiresAt: '2027-03-01T00:00:00.000Z', maxMachines: 3 },
    setPasswordUrl: 'https://licenses.example.com/set-password?token=khpw_secret123',
  },
  category: 'essential',
  ...extra,
});

const reminderMail = (to: string | string[], extra: Partial<SendMail> = {}): SendMail => ({
  template: 'license.expiring',
  to,
  data: { customer: { name: 'Acme' }, product: { name: 'Photon Studio' }, license: { name: 'Acme seats', keyHint: '1QX3C', expiresAt: '2026-04-01T00:00:00.000Z' }, daysLeft: 15 },
  category: 'reminders',
  ...extra,
});

forEachDialect('mail', (dialect) => {
  let t: TestApp;
  let api: Client;
  let smtp: TestSmtpServer;
  const mailTo = (to: string): ReceivedMail[] => smtp.received.filter((m) => m.envelopeTo.includes(to));
  const send = (spec: SendMail) => t.services.mail.send(t.deps.database.db, spec);
  const drain = () => t.services.worker.drain();

  before(async () => {
    smtp = await startTestSmtpServer({ rcptCode });
    t = await startTestApp(dialect, { config: { smtpUrl: smtp.url } });
    api = client(t.app);
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  describe('delivery', () => {
    test('a license mail reaches the SMTP server: subject, text, escaped HTML, From, stable Message-ID; the outbox says sent', async () => {
      const to = address('buyer');
      const result = await t.deps.database.db.transaction().execute((trx) => t.services.mail.send(trx, licenseMail(to, { customerId: 'cus_x' })));
      assert.equal(result.created, true);
      const queued = await api.get(`/v1/outbox/${result.id}`);
      assert.equal(queued.status, 200, queued.raw);
      assert.equal(queued.body.status, 'queued');
      assert.equal(await drain(), 1);
      const [mail] = mailTo(to);
      assert.ok(mail, 'the mail arrived');
      assert.equal(mail.subject, 'Your Photon Studio license key');
      assert.equal(mail.messageId, `<${result.id}@keyhaven.test>`);
      assert.deepEqual(mail.from?.value, [{ name: 'Keyhaven Test', address: 'licenses@keyhaven.test' }]);
      assert.match(mail.text ?? '', /F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C/);
      assert.match(mail.text ?? '', /Hello Acme <Corp> & Sons,/, 'plain text is not escaped');
      assert.match(mail.text ?? '', /https:\/\/licenses\.example\.com\/set-password\?token=khpw_secret123/);
      assert.match(String(mail.html), /Hello Acme &lt;Corp&gt; &amp; Sons,/, 'HTML output is escaped');
      assert.match(String(mail.html), /F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C/);
      assert.match(mail.text ?? '', /March 1, 2027/);
      assert.equal(unsubscribeLink(mail), undefined, 'essential mail has no unsubscribe link');

      const sent = (await api.get(`/v1/outbox/${result.id}`)).body;
      assert.equal(sent.status, 'sent');
      assert.equal(sent.attempts, 1);
      assert.equal(sent.sentAt, t.clock.now().toISOString());
      assert.deepEqual(sent.to, [to]);
      assert.match(sent.text, /set-password\?token=\[redacted\]/, 'the outbox view hides one-time tokens');
      assert.doesNotMatch(JSON.stringify(sent), /khpw_secret123/);
      assert.match(sent.text, /F2A65-VPQAS/);
      const listed = await api.get(`/v1/outbox?to=${encodeURIComponent(to)}`);
      assert.deepEqual(listed.body.data.map((m: any) => m.id), [result.id]);
      const byStatus = await api.get(`/v1/outbox?status=sent&template=license.issued&customerId=cus_x`);
      assert.deepEqual(byStatus.body.data.map((m: any) => m.id), [result.id]);
    });

    test('bodies are stored encrypted, not as plain text', async () => {
      const to = address('sealed');
      const { id } = await send(licenseMail(to));
      const row = await t.deps.database.db.selectFrom('mail_bodies').selectAll().where('mail_id', '=', id).executeTakeFirstOrThrow();
      assert.doesNotMatch(row.text_ciphertext + row.html_ciphertext, /F2A65|khpw_/);
      await drain();
    });

    test('a mail whose send rolls back with its transaction leaves nothing behind', async () => {
      const to = address('rollback');
      await assert.rejects(
        t.deps.database.db.transaction().execute(async (trx) => {
          await t.services.mail.send(trx, licenseMail(to));
          throw new Error('the order failed');
        }),
        /the order failed/,
      );
      assert.equal((await api.get(`/v1/outbox?to=${encodeURIComponent(to)}`)).body.data.length, 0);
      assert.equal(await drain(), 0);
    });

    test('SMTP down: the mail stays queued, is retried with backoff, and is delivered once the server is back', async () => {
      const to = address('patient');
      await smtp.stop();
      const { id } = await send(licenseMail(to));
      await drain();
      let mail = (await api.get(`/v1/outbox/${id}`)).body;
      assert.equal(mail.status, 'queued');
      assert.equal(mail.attempts, 1);
      assert.ok(mail.lastError, 'the connection error is recorded');
      // Not due yet: nothing runs.
      assert.equal(await drain(), 0);
      t.clock.advance(16_000);
      await drain();
      mail = (await api.get(`/v1/outbox/${id}`)).body;
      assert.equal(mail.status, 'queued');
      assert.equal(mail.attempts, 2);
      await smtp.start();
      t.clock.advance(31_000);
      await drain();
      mail = (await api.get(`/v1/outbox/${id}`)).body;
      assert.equal(mail.status, 'sent', JSON.stringify(mail));
      assert.equal(mail.attempts, 3);
      assert.equal(mailTo(to).length, 1);
    });

    test('4xx from the server: retried later; 5xx: failed at once with the error, and retryable by staff', async () => {
      const later = `later-${address('x')}`;
      const bounce = `bounce-${address('x')}`;
      const a = await send(licenseMail(later));
      const b = await send(licenseMail(bounce));
      await drain();
      const first = (await api.get(`/v1/outbox/${a.id}`)).body;
      assert.equal(first.status, 'queued');
      assert.match(first.lastError, /451/);
      const failed = (await api.get(`/v1/outbox/${b.id}`)).body;
      assert.equal(failed.status, 'failed');
      assert.match(failed.lastError, /550/);
      assert.equal(mailTo(bounce).length, 0);
      const failedList = await api.get('/v1/outbox?status=failed');
      assert.ok(failedList.body.data.some((m: any) => m.id === b.id));
      // Only failed mail can be retried.
      const notFailed = await api.post(`/v1/outbox/${a.id}/actions/retry`);
      assert.equal(notFailed.status, 409);
      const retried = await api.post(`/v1/outbox/${b.id}/actions/retry`);
      assert.equal(retried.status, 200, retried.raw);
      assert.equal(retried.body.status, 'queued');
      await drain();
      assert.equal((await api.get(`/v1/outbox/${b.id}`)).body.status, 'failed', 'still refused');
      const events = await api.get(`/v1/events?targetType=mail&targetId=${b.id}`);
      assert.ok(events.body.data.some((e: any) => e.action === 'mail.retried'));
      // Clean up the 451 mail: let the job give up later without touching other tests.
      await t.deps.database.db.updateTable('mail_outbox').set({ status: 'failed' }).where('id', '=', a.id).execute();
      t.clock.advance(3_600_000);
      await drain();
    });

    test('a mail is sent once even when its job runs twice, and a lapsed `sending` claim is taken over', async () => {
      const to = address('once');
      const { id } = await send(licenseMail(to));
      // A duplicate job for the same mail (a retry racing a slow first run).
      await t.services.jobs.enqueue(t.deps.database.db, { type: 'mail.send', payload: { mailId: id } });
      await drain();
      assert.equal(mailTo(to).length, 1);

      // A sender that died after claiming: the claim lapses, the next run sends it.
      const orphan = address('orphan');
      const second = await send(licenseMail(orphan));
      const { db } = t.deps.database;
      await db
        .updateTable('mail_outbox')
        .set({ status: 'sending', sending_until: new Date(t.clock.now().getTime() + 120_000).toISOString() })
        .where('id', '=', second.id)
        .execute();
      await drain();
      assert.equal(mailTo(orphan).length, 0, 'not while the claim holds');
      t.clock.advance(125_000);
      await drain();
      assert.equal(mailTo(orphan).length, 1);
      assert.equal((await api.get(`/v1/outbox/${second.id}`)).body.status, 'sent');
    });

    test('dedupeKey: the same key gives one mail ever, also when sent concurrently', async () => {
      const to = address('dedupe');
      const key = unique('reminder:lic_1:term1:15');
      const results = await Promise.all([1, 2, 3].map(() => send(reminderMail(to, { dedupeKey: key }))));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.equal(results.filter((r) => r.created).length, 1);
      await drain();
      const again = await send(reminderMail(to, { dedupeKey: key }));
      assert.equal(again.created, false);
      assert.equal(again.id, results[0]!.id);
      await drain();
      assert.equal(mailTo(to).length, 1);
      assert.equal((await api.get(`/v1/outbox/${again.id}`)).body.dedupeKey, key);
    });
  });

  describe('preferences', () => {
    test('an opted-out reminder is suppressed (recorded, not sent); essential mail still goes', async () => {
      const customer = await factories.customer(api);
      const user = await factories.signedInUser(api, t.app, 'customer-member', customer.id);
      const me = client(t.app, user.token);
      const initial = await me.get('/v1/mail-preferences');
      assert.equal(initial.status, 200, initial.raw);
      assert.deepEqual({ ...initial.body, updatedAt: null }, { email: user.email, reminders: true, announcements: true, alerts: true, updatedAt: null });
      const updated = await me.patch('/v1/mail-preferences', { reminders: false });
      assert.equal(updated.status, 200, updated.raw);
      assert.equal(updated.body.reminders, false);
      assert.equal(updated.body.announcements, true);

      const reminder = await send(reminderMail(user.email.toUpperCase(), { userId: user.user.id }));
      assert.equal(reminder.suppressed, true);
      const essential = await send(licenseMail(user.email));
      await drain();
      const stored = (await api.get(`/v1/outbox/${reminder.id}`)).body;
      assert.equal(stored.status, 'suppressed');
      assert.deepEqual(stored.suppressedTo, [user.email]);
      assert.equal(mailTo(user.email).length, 1);
      assert.equal(mailTo(user.email)[0]!.messageId, `<${essential.id}@keyhaven.test>`);
      // Turning it back on.
      await me.patch('/v1/mail-preferences', { reminders: true });
      await send(reminderMail(user.email));
      await drain();
      assert.equal(mailTo(user.email).length, 2);
    });

    test('the unsubscribe link in a reminder turns reminders off with one click; a forged link is refused', async () => {
      const to = address('clicker');
      const { id } = await send(reminderMail(to));
      await drain();
      const [mail] = mailTo(to);
      const link = unsubscribeLink(mail!)!;
      assert.equal(rawHeader(mail!, 'list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
      assert.ok((mail!.text ?? '').includes(link), 'the text body carries the same link');
      assert.ok(String(mail!.html).includes(link.replace(/&/g, '&amp;')), 'the HTML body carries the link');
      assert.match(link, /^http:\/\/localhost:8080\/v1\/mail\/unsubscribe\/[A-Za-z0-9_-]+\.[0-9a-f]{40}$/);
      const path = link.replace('http://localhost:8080', '');
      const anon = client(t.app, undefined);
      const forged = await anon.get(path.replace(/\.[0-9a-f]+$/, '.' + 'f'.repeat(40)));
      assert.equal(forged.status, 404);
      assert.equal(forged.body.error.code, 'NOT_FOUND');
      const [payload, signature] = path.split('/').pop()!.split('.');
      const otherCategory = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace('reminders', 'announcements')).toString('base64url');
      assert.equal((await anon.get(`/v1/mail/unsubscribe/${otherCategory}.${signature}`)).status, 404, 'the signature covers the category');
      const otherAddress = Buffer.from(`someone-else@example.com\nreminders`).toString('base64url');
      assert.equal((await anon.get(`/v1/mail/unsubscribe/${otherAddress}.${signature}`)).status, 404, 'and the address');
      const page = await anon.get(path);
      assert.equal(page.status, 200, page.raw);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(page.raw, /no longer receives reminders/);
      const prefs = await api.get(`/v1/mail-preferences/${encodeURIComponent(to)}`);
      assert.equal(prefs.body.reminders, false);
      assert.equal(prefs.body.announcements, true);
      const next = await send(reminderMail(to));
      assert.equal(next.suppressed, true);
      assert.equal((await api.get(`/v1/outbox/${id}`)).body.headers['List-Unsubscribe'], `<${link}>`);

      // RFC 8058 one-click POST, as mail clients send it.
      const other = address('oneclick');
      await send({ ...reminderMail(other), template: 'release.published', category: 'announcements', data: { product: { name: 'Photon' }, release: { version: '4.2.0' } } });
      await drain();
      const oneClick = unsubscribeLink(mailTo(other)[0]!)!.replace('http://localhost:8080', '');
      const res = await t.app.inject({ method: 'POST', url: oneClick, payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.statusCode, 204, res.body);
      assert.equal((await api.get(`/v1/mail-preferences/${encodeURIComponent(other)}`)).body.announcements, false);
    });

    test('non-essential mail to several addresses: one mail per address, each with its own link and preference', async () => {
      const a = address('multi-a');
      const b = address('multi-b');
      await api.patch(`/v1/mail-preferences/${encodeURIComponent(b)}`, { alerts: false });
      const result = await send({ template: 'staff.alert', to: [a, b], data: { title: 'Seat limit reached', message: 'Acme uses 5 of 5 seats', details: { license: 'lic_1' } }, category: 'alerts', dedupeKey: unique('alert') });
      assert.equal(result.mails.length, 2);
      assert.deepEqual(result.mails.map((m) => m.status), ['queued', 'suppressed']);
      assert.equal(result.suppressed, undefined, 'not everyone opted out');
      await drain();
      assert.equal(mailTo(a).length, 1);
      assert.equal(mailTo(b).length, 0);
      assert.equal(mailTo(a)[0]!.subject, '[Keyhaven] Seat limit reached');
      assert.match(mailTo(a)[0]!.text ?? '', /license: lic_1/);
      const linkPayload = unsubscribeLink(mailTo(a)[0]!)!.split('/').pop()!.split('.')[0]!;
      assert.equal(Buffer.from(linkPayload, 'base64url').toString(), `${a}\nalerts`, 'the link names its own address');
      // Essential mail to several addresses is one message to all of them.
      const c = address('multi-c');
      const both = await send(licenseMail(a, { to: [a, c] }));
      assert.equal(both.mails.length, 1);
      await drain();
      const arrived = smtp.received.find((m) => m.messageId === `<${both.id}@keyhaven.test>`)!;
      assert.deepEqual(arrived.envelopeTo.sort(), [a, c].sort());
    });

    test('users change their own preferences; staff with mail:write change any address; tokens have no own preferences', async () => {
      const customer = await factories.customer(api);
      const member = await factories.signedInUser(api, t.app, 'customer-admin', customer.id);
      const other = await factories.signedInUser(api, t.app, 'customer-member', customer.id);
      const me = client(t.app, member.token);
      assert.equal((await me.get(`/v1/mail-preferences/${encodeURIComponent(other.email)}`)).status, 403, "a customer cannot read another user's");
      assert.equal((await me.patch(`/v1/mail-preferences/${encodeURIComponent(customer.email)}`, { reminders: false })).status, 403);
      assert.equal((await me.patch('/v1/mail-preferences', { announcements: false })).body.email, member.email);
      assert.equal((await client(t.app, other.token).get('/v1/mail-preferences')).body.announcements, true, "one user's change is not another's");
      const support = await factories.signedInUser(api, t.app, 'support');
      const supportClient = client(t.app, support.token);
      assert.equal((await supportClient.get(`/v1/mail-preferences/${encodeURIComponent(member.email)}`)).body.announcements, false, 'support reads');
      assert.equal((await supportClient.patch(`/v1/mail-preferences/${encodeURIComponent(other.email)}`, { reminders: false })).status, 403, 'support does not write');
      const admin = await api.patch(`/v1/mail-preferences/${encodeURIComponent(customer.email.toUpperCase())}`, { announcements: false });
      assert.equal(admin.status, 200, admin.raw);
      assert.equal(admin.body.email, customer.email);
      assert.equal((await api.get('/v1/mail-preferences')).status, 403, 'the admin token has no address of its own');
      assert.equal((await api.patch('/v1/mail-preferences', {})).status, 400, 'an empty change is refused');
    });
  });

  describe('outbox access', () => {
    test('the outbox is staff-only: customer users and tokens get 403, support reads, support cannot retry', async () => {
      const customer = await factories.customer(api);
      const { id } = await send(licenseMail(address('iso'), { customerId: customer.id }));
      await drain();
      const admin = await factories.signedInUser(api, t.app, 'customer-admin', customer.id);
      const token = await api.post('/v1/tokens', { name: 'iso', role: 'customer-admin', customerId: customer.id });
      for (const credential of [admin.token, token.body.token as string]) {
        const c = client(t.app, credential);
        for (const url of ['/v1/outbox', `/v1/outbox/${id}`, '/v1/mail-templates', '/v1/mail-templates/license.issued']) {
          const res = await c.get(url);
          assert.equal(res.status, 403, `${url}: ${res.raw}`);
        }
      }
      const support = await factories.signedInUser(api, t.app, 'support');
      assert.equal((await client(t.app, support.token).get(`/v1/outbox/${id}`)).status, 200);
      assert.equal((await client(t.app, support.token).post('/v1/outbox/actions/send-held', {})).status, 403);
      assert.equal((await api.get('/v1/outbox/mail_nope')).status, 404);
    });
  });

  describe('templates', () => {
    test('every built-in template is listed and renders its sample', async () => {
      const list = await api.get('/v1/mail-templates');
      assert.equal(list.status, 200);
      const keys = list.body.data.map((x: any) => x.key);
      for (const key of ['license.issued', 'license.expiring', 'license.expired', 'license.renewed', 'license.cancelled', 'trial.started', 'trial.ending', 'release.published', 'password.set', 'password.reset', 'staff.alert']) {
        assert.ok(keys.includes(key), key);
        const preview = await api.post(`/v1/mail-templates/${key}/preview`, {});
        assert.equal(preview.status, 200, `${key}: ${preview.raw}`);
        assert.ok(preview.body.subject.length > 5 && !preview.body.subject.includes('{{'), `${key} subject: ${preview.body.subject}`);
        assert.doesNotMatch(preview.body.text, /{{|{%|Liquid/, key);
        assert.match(preview.body.html, /^<!doctype html>/, key);
      }
      const issued = await api.post('/v1/mail-templates/license.issued/preview', {});
      assert.match(issued.body.text, /F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C/);
      assert.match(issued.body.text, /set-password\?token=sample/);
      assert.equal((await api.get('/v1/mail-templates/nothing.here')).status, 404);
      assert.equal((await api.get('/v1/mail-templates/not a key')).status, 400);
    });

    test('preview with given data and unsaved parts; invalid Liquid is 400 TEMPLATE_INVALID with the line', async () => {
      const preview = await api.post('/v1/mail-templates/license.renewed/preview', {
        data: { product: { name: '<Photon>' }, license: { expiresAt: '2030-01-01T00:00:00Z' }, customer: { name: 'Zed' } },
      });
      assert.equal(preview.status, 200, preview.raw);
      assert.equal(preview.body.subject, 'Your <Photon> license was renewed');
      assert.match(preview.body.html, /&lt;Photon&gt;/);
      assert.match(preview.body.text, /January 1, 2030/);
      const notes = await api.post('/v1/mail-templates/release.published/preview', { data: { product: { name: 'P' }, release: { version: '2.0', notes: 'Fixes <b>x</b>\nFaster' } } });
      assert.match(notes.body.html, /Fixes &lt;b&gt;x&lt;\/b&gt;<br \/>\nFaster/, 'release notes: escaped, line breaks kept');
      assert.match(notes.body.text, /Fixes <b>x<\/b>\nFaster/);
      const draft = await api.post('/v1/mail-templates/license.renewed/preview', { subject: 'Hi {{ customer.name | upcase }}', data: { customer: { name: 'zed' } } });
      assert.equal(draft.body.subject, 'Hi ZED');
      const broken = await api.post('/v1/mail-templates/license.renewed/preview', { text: 'line one\n{% if x %}\nno end' });
      assert.equal(broken.status, 400);
      assert.equal(broken.body.error.code, 'TEMPLATE_INVALID');
      assert.equal(broken.body.error.details.part, 'text');
      assert.equal(broken.body.error.details.line, 2);
      const badFilter = await api.call('PUT', '/v1/mail-templates/license.renewed', { subject: 'x', text: 'ok', html: '<p>{{ a | nosuchfilter }}</p>' });
      assert.equal(badFilter.status, 400);
      assert.equal(badFilter.body.error.code, 'TEMPLATE_INVALID');
      assert.equal(badFilter.body.error.details.part, 'html');
      const noFiles = await api.call('PUT', '/v1/mail-templates/license.renewed', { subject: 'x', text: '{% include "/etc/passwd" %}', html: '<p></p>' });
      assert.equal(noFiles.status, 400, 'templates cannot read files');
      assert.equal(noFiles.body.error.code, 'TEMPLATE_INVALID');
      const runaway = await api.call('PUT', '/v1/mail-templates/license.renewed', { subject: 'x', text: '{% for i in (1..100000000) %}xxxxxxxxxx{% endfor %}', html: '<p></p>' });
      assert.equal(runaway.status, 400, 'render limits stop runaway loops');
    });

    test('an edit changes later mail, not mail already queued; reset brings the default back; edits are audited', async () => {
      const before = address('before-edit');
      const queued = await send({ template: 'license.cancelled', to: before, data: { product: { name: 'Photon' }, license: { expiresAt: '2027-01-01T00:00:00Z' } }, category: 'essential' });
      const edited = await api.call('PUT', '/v1/mail-templates/license.cancelled', {
        subject: 'Cancelled: {{ product.name }}',
        text: 'Bye {{ customer.name | default: "friend" }}. Access until {{ license.expiresAt | date: "%Y-%m-%d" }}.',
        html: '<p>Bye {{ customer.name }}</p>',
      });
      assert.equal(edited.status, 200, edited.raw);
      assert.equal(edited.body.customized, true);
      assert.equal(edited.body.updatedBy, 'KEYHAVEN_ADMIN_TOKEN');
      const afterEdit = address('after-edit');
      await send({ template: 'license.cancelled', to: afterEdit, data: { product: { name: 'Photon' }, license: { expiresAt: '2027-01-01T00:00:00Z' } }, category: 'essential' });
      await drain();
      assert.equal(mailTo(before)[0]!.subject, 'Your Photon subscription was cancelled', 'rendered at enqueue time');
      assert.equal(mailTo(afterEdit)[0]!.subject, 'Cancelled: Photon');
      assert.equal(mailTo(afterEdit)[0]!.text?.trim(), 'Bye friend. Access until 2027-01-01.');
      assert.equal((await api.get(`/v1/outbox/${queued.id}`)).body.subject, 'Your Photon subscription was cancelled');

      const reset = await api.post('/v1/mail-templates/license.cancelled/actions/reset');
      assert.equal(reset.status, 200, reset.raw);
      assert.equal(reset.body.customized, false);
      assert.equal(reset.body.subject, 'Your {{ product.name }} subscription was cancelled');
      const events = await api.get('/v1/events?targetType=mail_template&limit=100');
      const actions = events.body.data.filter((e: any) => e.target.id === 'license.cancelled').map((e: any) => e.action);
      assert.deepEqual(actions.sort(), ['mail_template.reset', 'mail_template.updated']);

      // Other modules add templates of their own; unknown keys are 404 and cannot be sent.
      t.services.mailTemplates.registerTemplate('test.invoice_paid', {
        description: 'Test: an invoice was paid',
        category: 'essential',
        sample: { number: 'INV-1' },
        subject: 'Invoice {{ number }} paid',
        text: 'Paid: {{ number }}',
        html: '<p>Paid: {{ number }}</p>',
      });
      assert.throws(() => t.services.mailTemplates.registerTemplate('test.invoice_paid', { description: '', category: 'essential', sample: {}, subject: 'x', text: 'x', html: 'x' }), /twice/);
      assert.throws(() => t.services.mailTemplates.registerTemplate('test.broken', { description: '', category: 'essential', sample: {}, subject: '{% if %}', text: 'x', html: 'x' }), /invalid/);
      const own = await api.get('/v1/mail-templates/test.invoice_paid');
      assert.equal(own.status, 200, own.raw);
      assert.equal(own.body.sampleData.number, 'INV-1');
      // The variables every mail gets come with each template (the editor lists them; no copy in the web app).
      assert.deepEqual([...own.body.globalVariables].sort(), ['category', 'publicUrl', 'recipient', 'signInUrl', 'unsubscribeUrl']);
      const ownMail = address('invoice');
      await send({ template: 'test.invoice_paid', to: ownMail, data: { number: 'INV-7' }, category: 'essential' });
      await drain();
      assert.equal(mailTo(ownMail)[0]!.subject, 'Invoice INV-7 paid');
      assert.equal((await api.call('PUT', '/v1/mail-templates/nothing.here', { subject: 'x', text: 'x', html: 'x' })).status, 404);
      assert.equal((await api.post('/v1/mail-templates/nothing.here/actions/reset')).status, 404);
      await assert.rejects(send({ template: 'nothing.here', to: ownMail, data: {}, category: 'essential' }), /No mail template nothing\.here/);
    });
  });

  describe('without SMTP settings', () => {
    let bare: TestApp;
    before(async () => {
      bare = await startTestApp(dialect);
    });
    after(async () => bare?.close());

    test('mail is held and readable; send-held refuses until SMTP is configured, then releases it', async () => {
      const bareApi = client(bare.app);
      const to = address('held');
      const { id } = await bare.services.mail.send(bare.deps.database.db, licenseMail(to));
      assert.equal(await bare.services.worker.drain(), 0, 'no delivery job for held mail');
      const held = await bareApi.get(`/v1/outbox?status=held`);
      assert.equal(held.status, 200);
      assert.equal(held.body.data[0].id, id);
      assert.match(held.body.data[0].lastError, /No SMTP server is configured/);
      assert.match(held.body.data[0].text, /F2A65-VPQAS/, 'readable through the API');
      const refused = await bareApi.post('/v1/outbox/actions/send-held', {});
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'SMTP_NOT_CONFIGURED');

      // The operator sets SMTP_URL and restarts: a new app on the same database.
      const restarted = await buildApp({ ...bare.deps, config: { ...bare.deps.config, smtpUrl: smtp.url } });
      try {
        const released = await client(restarted.app).post('/v1/outbox/actions/send-held', {});
        assert.equal(released.status, 200, released.raw);
        assert.equal(released.body.released, 1);
        await restarted.services.worker.drain();
        assert.equal(mailTo(to).length, 1);
        assert.equal((await bareApi.get(`/v1/outbox/${id}`)).body.status, 'sent');
      } finally {
        await restarted.app.close();
      }
    });
  });
});
