import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, client, factories, forEachDialect, startTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { startTestSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../testing/smtp.js';

let counter = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}${(counter++).toString(36)}`;
const address = (label: string) => `${unique(label)}@example.com`;
const DAY = 86_400_000;

forEachDialect('release announcements', (dialect) => {
  let t: TestApp;
  let api: Client;
  let smtp: TestSmtpServer;
  const mailTo = (to: string): ReceivedMail[] => smtp.received.filter((m) => m.envelopeTo.includes(to));
  const daysFromNow = (days: number) => new Date(t.clock.now().getTime() + days * DAY).toISOString();

  before(async () => {
    smtp = await startTestSmtpServer();
    t = await startTestApp(dialect, { config: { smtpUrl: smtp.url } });
    api = client(t.app);
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  async function release(productId: string, extra: Record<string, unknown> = {}, publish = true) {
    const res = await api.post('/v1/releases', { productId, version: `2.${counter++}.0`, notes: 'Faster exports.\nNew dark theme.', ...extra });
    assert.equal(res.status, 201, res.raw);
    if (!publish) return res.body;
    const published = await api.post(`/v1/releases/${res.body.id}/actions/publish`);
    assert.equal(published.status, 200, published.raw);
    return published.body;
  }
  async function user(customerId: string, role: 'customer-admin' | 'customer-member', extra: Record<string, unknown> = {}) {
    const res = await api.post('/v1/users', { email: address(role), role, customerId, ...extra });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  }
  /** A product and a timed policy (14 grace days) for it. */
  async function productWithPolicy() {
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, graceDays: 14 });
    return { product, policy };
  }
  const recipients = async (releaseId: string) => {
    const res = await api.get(`/v1/releases/${releaseId}/announcement/recipients`);
    assert.equal(res.status, 200, res.raw);
    return res.body as { releaseId: string; data: Array<{ email: string; name: string | null; customerId: string | null; optedOut: boolean }>; total: number; optedOut: number };
  };
  const announcementMails = async (releaseId: string) =>
    t.deps.database.db.selectFrom('mail_outbox').select(['to_addresses', 'status']).where('dedupe_key', 'like', `release-announcement:${releaseId}:%`).execute();

  describe('the default recipient list', () => {
    test('entitled organizations only: active and grace licenses covering the requirements; contact and customer admins, once per address', async () => {
      const { product, policy } = await productWithPolicy();
      const other = await productWithPolicy();
      const license = (customerId: string | null, extra: Record<string, unknown> = {}) => factories.license(api, policy.id, { customerId, features: ['pro'], ...extra });

      const active = await factories.customer(api);
      await license(active.id);
      const admin = await user(active.id, 'customer-admin', { name: 'Ada Admin' });
      const nameless = await user(active.id, 'customer-admin');
      await user(active.id, 'customer-member');
      const disabled = await user(active.id, 'customer-admin');
      assert.equal((await api.patch(`/v1/users/${disabled.id}`, { disabled: true })).status, 200);

      const grace = await factories.customer(api);
      await license(grace.id, { startsAt: daysFromNow(-60), expiresAt: daysFromNow(-3) });
      const expired = await factories.customer(api);
      await license(expired.id, { startsAt: daysFromNow(-90), expiresAt: daysFromNow(-30) });
      const suspended = await factories.customer(api);
      const suspendedLicense = await license(suspended.id);
      assert.equal((await api.post(`/v1/licenses/${suspendedLicense.id}/actions/suspend`)).status, 200);
      const revoked = await factories.customer(api);
      const revokedLicense = await license(revoked.id);
      assert.equal((await api.post(`/v1/licenses/${revokedLicense.id}/actions/revoke`)).status, 200);
      const pending = await factories.customer(api);
      await license(pending.id, { startsAt: daysFromNow(10) });
      const otherProduct = await factories.customer(api);
      await factories.license(api, other.policy.id, { customerId: otherProduct.id, features: ['pro'] });
      const basic = await factories.customer(api);
      await license(basic.id, { features: [] });
      // Two organizations with one contact address, one of them with two licenses: one entry.
      const shared = address('shared-contact');
      const twinA = await factories.customer(api, { email: shared });
      const twinB = await factories.customer(api, { email: shared.toUpperCase() });
      await license(twinA.id);
      await license(twinA.id);
      await license(twinB.id);
      // A customer admin whose address is also the organization's contact (other case): one entry.
      const selfAdmin = await factories.customer(api);
      await license(selfAdmin.id);
      await api.post('/v1/users', { email: selfAdmin.email.toUpperCase().replace('@EXAMPLE.COM', '@example.com'), role: 'customer-admin', customerId: selfAdmin.id, name: 'Self' });
      await license(null);

      const open = await release(product.id);
      const gated = await release(product.id, { requirements: ['pro'] });
      const entitled = [active.email, admin.email, nameless.email, grace.email, shared, selfAdmin.email];
      const ungated = await recipients(open.id);
      assert.deepEqual(ungated.data.map((r) => r.email), [...entitled, basic.email].map((e) => e.toLowerCase()).sort());
      assert.deepEqual([ungated.total, ungated.optedOut], [entitled.length + 1, 0]);
      const forGated = await recipients(gated.id);
      assert.deepEqual(forGated.data.map((r) => r.email), entitled.map((e) => e.toLowerCase()).sort(), 'a license without the required feature is not entitled');

      const byEmail = new Map(ungated.data.map((r) => [r.email, r]));
      assert.deepEqual(byEmail.get(active.email), { email: active.email, name: active.name, customerId: active.id, optedOut: false });
      assert.deepEqual(byEmail.get(admin.email), { email: admin.email, name: 'Ada Admin', customerId: active.id, optedOut: false });
      assert.equal(byEmail.get(nameless.email)!.name, active.name, 'a user without a name is greeted with the organization name');
      assert.equal(byEmail.get(selfAdmin.email)!.name, selfAdmin.name, 'the contact entry comes first');

      // A draft's list can be looked at before publishing; a missing release is 404.
      const draft = await release(product.id, {}, false);
      assert.equal((await recipients(draft.id)).total, entitled.length + 1);
      assert.equal((await api.get('/v1/releases/rel_missing/announcement/recipients')).status, 404);
    });
  });

  describe('announcing', () => {
    let world: { product: any; policy: any; customers: any[]; admin: any; optedOut: any; removed: any };
    before(async () => {
      const { product, policy } = await productWithPolicy();
      const customers = [];
      for (let i = 0; i < 4; i++) {
        const customer = await factories.customer(api, { name: `Org ${i} <Ltd>` });
        await factories.license(api, policy.id, { customerId: customer.id });
        customers.push(customer);
      }
      const admin = await user(customers[0].id, 'customer-admin', { name: 'Dana Reyes' });
      const optedOut = customers[1];
      const removed = customers[2];
      assert.equal((await api.patch(`/v1/mail-preferences/${encodeURIComponent(optedOut.email)}`, { announcements: false })).status, 200);
      world = { product, policy, customers, admin, optedOut, removed };
    });

    test('only a published release; the list minus removed plus added, opted-out addresses skipped; the mails really go out, once', async () => {
      const { product, customers, admin, optedOut, removed } = world;
      const draft = await release(product.id, { channel: 'beta', docLinks: [{ title: 'Upgrade guide', url: 'https://docs.example.com/up' }] }, false);
      const early = await api.post(`/v1/releases/${draft.id}/announce`, {});
      assert.deepEqual([early.status, early.body.error.code], [409, 'INVALID_TRANSITION']);
      const rel = (await api.post(`/v1/releases/${draft.id}/actions/publish`)).body;

      const list = await recipients(rel.id);
      assert.equal(list.total, 5);
      assert.deepEqual(list.data.filter((r) => r.optedOut).map((r) => r.email), [optedOut.email], 'shown, flagged');
      assert.equal(list.optedOut, 1);

      const extra = address('press');
      const res = await api.post(`/v1/releases/${rel.id}/announce`, { add: [{ email: extra.toUpperCase().replace('@EXAMPLE.COM', '@example.com'), name: 'Press Desk' }, { email: admin.email }], remove: [removed.email.toUpperCase()] });
      assert.equal(res.status, 201, res.raw);
      assert.match(res.body.id, /^ann_/);
      assert.deepEqual(
        [res.body.releaseId, res.body.template, res.body.recipients, res.body.skippedOptedOut, res.body.createdAt],
        [rel.id, 'release.published', 4, 1, t.clock.now().toISOString()],
      );

      await t.services.worker.drain();
      const expected = [customers[0].email, admin.email, customers[3].email, extra];
      for (const to of expected) {
        const mails = mailTo(to);
        assert.equal(mails.length, 1, to);
        const mail = mails[0]!;
        assert.equal(mail.subject, `${product.name} ${rel.version} is available`);
        assert.match(mail.text ?? '', new RegExp(`${product.name} ${rel.version.replace(/\./g, '\\.')} is available on the beta channel`));
        assert.match(mail.text ?? '', /Faster exports\.\nNew dark theme\./);
        assert.match(mail.text ?? '', /Upgrade guide: https:\/\/docs\.example\.com\/up/);
        assert.match(mail.text ?? '', /Unsubscribe: http/, 'announcements carry an unsubscribe link');
        assert.ok(mail.headerLines.some((h) => h.key === 'list-unsubscribe'), to);
        assert.match(String(mail.html), /<div><p>Faster exports\.<br>\nNew dark theme\.<\/p>/, 'the notes as safe HTML, line breaks kept');
      }
      assert.match(mailTo(admin.email)[0]!.text ?? '', /^Hello Dana Reyes,/);
      assert.match(mailTo(extra)[0]!.text ?? '', /^Hello Press Desk,/);
      assert.match(String(mailTo(customers[0].email)[0]!.html), /Hello Org 0 &lt;Ltd&gt;,/, 'names are escaped in HTML');
      assert.equal(mailTo(optedOut.email).length, 0, 'opted out');
      assert.equal(mailTo(removed.email).length, 0, 'removed');

      const again = await api.post(`/v1/releases/${rel.id}/announce`, {});
      assert.deepEqual([again.status, again.body.error.code], [409, 'ALREADY_ANNOUNCED']);
      const rows = await t.deps.database.db.selectFrom('release_announcements').selectAll().where('release_id', '=', rel.id).execute();
      assert.deepEqual(
        rows.map((r) => [r.template, r.recipient_count, r.created_by]),
        [['release.published', 4, 'KEYHAVEN_ADMIN_TOKEN']],
      );
      const events = await api.get(`/v1/events?targetId=${rel.id}&action=release.announced`);
      assert.equal(events.body.data.length, 1);
      assert.deepEqual(events.body.data[0].after, { announcementId: res.body.id, version: rel.version, template: 'release.published', recipients: 4, skippedOptedOut: 1 });

      const yanked = await release(product.id);
      assert.equal((await api.post(`/v1/releases/${yanked.id}/actions/yank`, {})).status, 200);
      const late = await api.post(`/v1/releases/${yanked.id}/announce`, {});
      assert.deepEqual([late.status, late.body.error.code], [409, 'INVALID_TRANSITION']);
      assert.equal((await api.post('/v1/releases/rel_missing/announce', {})).status, 404);
    });

    test('templates: any key in the registry, staff edits included; an unknown key is 400 TEMPLATE_UNKNOWN', async () => {
      const { product, customers } = world;
      const rel = await release(product.id);
      const unknown = await api.post(`/v1/releases/${rel.id}/announce`, { template: 'release.nonexistent' });
      assert.deepEqual([unknown.status, unknown.body.error.code, unknown.body.error.details.fields.template], [400, 'TEMPLATE_UNKNOWN', 'is unknown']);
      const malformed = await api.post(`/v1/releases/${rel.id}/announce`, { template: 'Not A Key' });
      assert.deepEqual([malformed.status, malformed.body.error.code], [400, 'VALIDATION_FAILED']);
      assert.equal((await announcementMails(rel.id)).length, 0);

      // A template another module registered.
      t.services.mailTemplates.registerTemplate(`release.spotlight-${dialect}`, {
        description: 'A spotlight on one release',
        category: 'announcements',
        sample: {},
        subject: 'Spotlight: {{ product.name }} {{ release.version }} for {{ customer.name }}',
        text: 'Look at {{ release.version }}. {{ unsubscribeUrl }}',
        html: '<p>Look at {{ release.version }}.</p>',
      });
      const spotlight = await api.post(`/v1/releases/${rel.id}/announce`, { template: `release.spotlight-${dialect}`, remove: customers.slice(1).map((c) => c.email) });
      assert.equal(spotlight.status, 201, spotlight.raw);
      assert.equal(spotlight.body.recipients, 2);
      await t.services.worker.drain();
      const [mail] = mailTo(customers[0].email).filter((m) => m.subject?.startsWith('Spotlight'));
      assert.equal(mail?.subject, `Spotlight: ${product.name} ${rel.version} for ${customers[0].name}`);

      // A staff edit of the default template is what goes out.
      const edited = await api.call('PUT', '/v1/mail-templates/release.published', {
        subject: 'New: {{ product.name }} v{{ release.version }}',
        text: 'Hi {{ name }}, {{ release.version }} is out. {{ unsubscribeUrl }}',
        html: '<p>{{ release.version }}</p>',
      });
      assert.equal(edited.status, 200, edited.raw);
      try {
        const next = await release(product.id);
        const res = await api.post(`/v1/releases/${next.id}/announce`, { remove: customers.slice(1).map((c) => c.email) });
        assert.equal(res.status, 201, res.raw);
        await t.services.worker.drain();
        const got = mailTo(customers[0].email).find((m) => m.subject === `New: ${product.name} v${next.version}`);
        assert.ok(got, 'the edited template was used');
        assert.match(got.text ?? '', new RegExp(`^Hi ${customers[0].name}, ${next.version.replace(/\./g, '\\.')} is out`));
      } finally {
        assert.equal((await api.post('/v1/mail-templates/release.published/actions/reset')).status, 200);
      }
    });

    test('concurrent announcements: exactly one wins, and every address gets one mail', async () => {
      const { product, customers, admin } = world;
      const rel = await release(product.id);
      const answers = await Promise.all(Array.from({ length: 6 }, () => api.post(`/v1/releases/${rel.id}/announce`, {})));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409], answers.map((a) => a.raw).join('\n'));
      for (const loser of answers.filter((a) => a.status === 409)) assert.equal(loser.body.error.code, 'ALREADY_ANNOUNCED');
      const mails = await announcementMails(rel.id);
      assert.equal(mails.length, 4, 'one outbox mail per address');
      assert.equal((await t.deps.database.db.selectFrom('release_announcements').select('id').where('release_id', '=', rel.id).execute()).length, 1);
      const events = await api.get(`/v1/events?targetId=${rel.id}&action=release.announced`);
      assert.equal(events.body.data.length, 1, 'one audit event');
      await t.services.worker.drain();
      const subject = `${product.name} ${rel.version} is available`;
      for (const to of [customers[0].email, admin.email, customers[2].email, customers[3].email]) {
        assert.equal(mailTo(to).filter((m) => m.subject === subject).length, 1, to);
      }
    });

    test('publish and announce in one call; publish without a body still works; a bad template publishes nothing', async () => {
      const { product, customers } = world;
      const draft = await release(product.id, {}, false);
      const bad = await api.post(`/v1/releases/${draft.id}/actions/publish`, { announce: { template: 'release.missing' } });
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'TEMPLATE_UNKNOWN']);
      assert.equal((await api.get(`/v1/releases/${draft.id}`)).body.status, 'draft', 'nothing changed');

      const res = await api.post(`/v1/releases/${draft.id}/actions/publish`, { announce: { remove: [customers[3].email] } });
      assert.equal(res.status, 200, res.raw);
      assert.equal(res.body.status, 'published');
      assert.deepEqual([res.body.announcement.releaseId, res.body.announcement.recipients, res.body.announcement.skippedOptedOut], [draft.id, 3, 1]);
      assert.equal((await announcementMails(draft.id)).length, 3);

      // No body at all (no content type), and an empty JSON object: publish only.
      const plain = await release(product.id, {}, false);
      const bare = await t.app.inject({ method: 'POST', url: `/v1/releases/${plain.id}/actions/publish`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(bare.statusCode, 200, bare.body);
      assert.equal(JSON.parse(bare.body).status, 'published');
      assert.equal(JSON.parse(bare.body).announcement, undefined);
      const empty = await api.post(`/v1/releases/${(await release(product.id, {}, false)).id}/actions/publish`, {});
      assert.deepEqual([empty.status, empty.body.announcement], [200, undefined]);
      assert.equal((await announcementMails(plain.id)).length, 0);
      const unknownField = await api.post(`/v1/releases/${(await release(product.id, {}, false)).id}/actions/publish`, { announce: { to: 'x' } });
      assert.equal(unknownField.status, 400);
    });

    test('customers cannot list recipients or announce', async () => {
      const { product, customers } = world;
      const rel = await release(product.id);
      for (const role of ['customer-admin', 'customer-member'] as const) {
        const { token } = await factories.signedInUser(api, t.app, role, customers[0].id);
        const as = client(t.app, token);
        assert.equal((await as.get(`/v1/releases/${rel.id}/announcement/recipients`)).status, 403, role);
        assert.equal((await as.post(`/v1/releases/${rel.id}/announce`, {})).status, 403, role);
        const draft = await release(product.id, {}, false);
        assert.equal((await as.post(`/v1/releases/${draft.id}/actions/publish`, { announce: {} })).status, 403, role);
      }
      assert.equal((await announcementMails(rel.id)).length, 0);
    });
  });
});
