import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';
import { verifySignature } from '../../testing/signatures.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const OFFSETS = [30, 15, 5, 3, 1];

let counter = 0;
const unique = (label: string) => `${label}-${Date.now().toString(36)}${(counter++).toString(36)}`;

/**
 * A subscription followed through time with the manual clock, for each expiry alignment: the first term
 * (shortened and prorated where it aligns to a year), a reminder at each offset exactly once, renewal at
 * term end (once, recorded with its price), cancellation (refused inside the notice period unless staff
 * override), expiry into the grace period (valid with GRACE_PERIOD), expired, and revocation.
 */
forEachDialect('subscriptions', (dialect) => {
  // Auto-renewing subscriptions are reminded too here, so one subscription shows reminders and renewals.
  const ctx = useTestApp(dialect, { config: { remindAutoRenewing: true } });
  let api: Client;
  let anon: Client;
  let publicKey: string;

  before(async () => {
    api = ctx.api;
    anon = client(ctx.t.app, undefined);
    publicKey = (await anon.get('/v1/public-key')).body.publicKey;
  });

  /** What a scheduled run does: the renewal sweep, the reminder sweep, then every job they queued. */
  async function tick() {
    await ctx.t.services.subscriptions.sweep();
    await ctx.t.services.reminders.sweep();
    await ctx.t.services.worker.drain();
  }

  async function mails(customerId: string, template: string): Promise<any[]> {
    const res = await api.get(`/v1/outbox?customerId=${customerId}&template=${template}&limit=100`);
    assert.equal(res.status, 200, res.raw);
    return res.body.data;
  }

  async function validate(key: string, fingerprint?: string) {
    const res = await anon.post('/v1/licenses/validate', { key, ...(fingerprint ? { fingerprint } : {}) });
    assert.equal(res.status, 200, res.raw);
    return res.body;
  }

  async function notices(key: string) {
    const nonce = unique('nonce');
    const res = await anon.post('/v1/notices', { key, nonce });
    assert.equal(res.status, 200, res.raw);
    assert.ok(verifySignature(publicKey, res, 'post', '/v1/notices', nonce), 'the notices answer is signed');
    assert.equal(res.body.nonce, nonce);
    return res.body.notices as Array<{ code: string; severity: string; daysLeft: number | null }>;
  }

  interface Scenario {
    alignment: 'purchase' | 'activation' | 'calendar-year' | 'fiscal-year';
    start: string;
    /** Expected first and second term ends. */
    firstEnd: string;
    secondEnd: string;
    fiscalYearStartMonth?: number;
    firstTerm?: 'shorten' | 'prorate';
    /** activation alignment: the first activation happens this long after the start. */
    activateAfterDays?: number;
    expectedFirstTermPrice: number;
  }

  const scenarios: Scenario[] = [
    { alignment: 'purchase', start: '2026-03-10T09:00:00.000Z', firstEnd: '2027-03-10T09:00:00.000Z', secondEnd: '2028-03-10T09:00:00.000Z', expectedFirstTermPrice: 12000 },
    {
      alignment: 'activation',
      start: '2029-03-10T09:00:00.000Z',
      activateAfterDays: 10,
      firstEnd: '2030-03-20T09:00:00.000Z',
      secondEnd: '2031-03-20T09:00:00.000Z',
      expectedFirstTermPrice: 12000,
    },
    {
      alignment: 'calendar-year',
      start: '2032-10-01T00:00:00.000Z',
      firstTerm: 'prorate',
      firstEnd: '2033-01-01T00:00:00.000Z',
      secondEnd: '2034-01-01T00:00:00.000Z',
      // 92 days of a 366-day year (2032 is a leap year) at 120.00 EUR a year.
      expectedFirstTermPrice: Math.round((12000 * 92) / 366),
    },
    {
      alignment: 'fiscal-year',
      fiscalYearStartMonth: 10,
      start: '2035-03-10T09:00:00.000Z',
      firstEnd: '2035-10-01T00:00:00.000Z',
      secondEnd: '2036-10-01T00:00:00.000Z',
      expectedFirstTermPrice: 12000,
    },
  ];

  for (const s of scenarios) {
    test(`${s.alignment}: start, remind at each offset once, renew, cancel (refused in the notice period, staff override), expire, grace, revoke`, async () => {
      const t = ctx.t;
      t.clock.set(s.start);
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'subscription', {
        termMonths: 12,
        alignment: s.alignment,
        ...(s.fiscalYearStartMonth ? { fiscalYearStartMonth: s.fiscalYearStartMonth } : {}),
        firstTerm: s.firstTerm ?? 'shorten',
        cancellationNoticeDays: 30,
        graceDays: 7,
        price: 12000,
        currency: 'EUR',
      });
      assert.equal(policy.autoRenew, true, 'subscription policies renew by default');
      const customer = await factories.customer(api);
      const admin = await factories.signedInUser(api, t.app, 'customer-admin', customer.id);
      // Sessions last hours and this test travels years: sign in again when the portal is used.
      const portalAt = async () => {
        const res = await anon.post('/v1/auth/sign-in', { email: admin.email, password: admin.password });
        assert.equal(res.status, 200, res.raw);
        return client(t.app, res.body.token);
      };
      const created = await factories.license(api, policy.id, { customerId: customer.id });
      const id = created.id;
      assert.equal(created.type, 'subscription');
      assert.equal(created.subscription.alignment, s.alignment);
      assert.equal(created.subscription.autoRenew, true);

      // Start. An activation-aligned term waits (usable, no expiry) for the first activation.
      if (s.activateAfterDays) {
        assert.equal(created.expiresAt, null);
        assert.equal(created.subscription.termStartsAt, null);
        assert.equal((await validate(created.key)).code, 'VALID');
        await tick();
        assert.equal((await mails(customer.id, 'license.expiring')).length, 0);
        t.clock.advanceDays(s.activateAfterDays);
        const activated = await anon.post('/v1/machines/activate', { key: created.key, fingerprint: unique('fp') });
        assert.equal(activated.status, 201, activated.raw);
        assert.equal(activated.body.license.expiresAt, s.firstEnd, 'the activation answer carries the expiry it started');
        // A second machine does not restart the term.
        t.clock.advanceDays(1);
        assert.equal((await anon.post('/v1/machines/activate', { key: created.key, fingerprint: unique('fp') })).status, 201);
        const history = await api.get(`/v1/licenses/${id}/events?limit=100`);
        assert.equal(history.body.data.filter((e: any) => e.action === 'subscription.term_started').length, 1);
      }
      let license = (await api.get(`/v1/licenses/${id}`)).body;
      assert.equal(license.expiresAt, s.firstEnd);
      assert.equal(license.subscription.firstTermPrice, s.expectedFirstTermPrice);
      assert.equal(license.subscription.renewsAt, s.firstEnd);
      assert.equal(license.subscription.cancellationDeadline, new Date(Date.parse(s.firstEnd) - 30 * DAY).toISOString());

      // Reminders: at each offset exactly once, however often the sweep runs.
      const end1 = Date.parse(s.firstEnd);
      for (const [i, offset] of OFFSETS.entries()) {
        t.clock.set(new Date(end1 - offset * DAY + HOUR));
        await tick();
        await tick();
        const sent = await mails(customer.id, 'license.expiring');
        assert.equal(sent.length, i + 1, `${offset} days before: ${i + 1} reminders so far`);
        assert.match(sent[0].subject, new RegExp(`expires in ${offset} day`));
        assert.match(sent[0].text, /renews automatically/);
      }
      const reminders = (await api.get(`/v1/licenses/${id}/reminders`)).body.data;
      assert.deepEqual(
        reminders.filter((r: any) => r.expiresAt === s.firstEnd).map((r: any) => r.offset),
        OFFSETS,
      );

      // Renewal at term end: once, recorded with the full term price, the customer told.
      t.clock.set(new Date(end1 - 30 * 60_000));
      await tick();
      await tick();
      license = (await api.get(`/v1/licenses/${id}`)).body;
      assert.equal(license.expiresAt, s.secondEnd);
      assert.equal(license.subscription.termStartsAt, s.firstEnd);
      const renewals = (await api.get(`/v1/renewals?licenseId=${id}`)).body.data;
      assert.equal(renewals.length, 1, 'renewed once');
      assert.deepEqual(
        { from: renewals[0].fromExpiry, to: renewals[0].toExpiry, price: renewals[0].price, currency: renewals[0].currency, source: renewals[0].source },
        { from: s.firstEnd, to: s.secondEnd, price: 12000, currency: 'EUR', source: 'auto' },
      );
      const renewedMails = await mails(customer.id, 'license.renewed');
      assert.equal(renewedMails.length, 1);
      assert.match(renewedMails[0].text, /120\.00 EUR/);
      t.clock.set(new Date(end1 + DAY));
      await tick();
      assert.equal((await validate(created.key)).code, 'VALID');
      assert.equal((await api.get(`/v1/renewals?licenseId=${id}`)).body.data.length, 1);

      // Cancel before the deadline (the customer's own admin), and resume.
      let portal = await portalAt();
      const cancelled = await portal.post(`/v1/licenses/${id}/actions/cancel-subscription`, {});
      assert.equal(cancelled.status, 200, cancelled.raw);
      assert.equal(cancelled.body.subscription.autoRenew, false);
      assert.equal(cancelled.body.subscription.renewsAt, null);
      assert.equal((await portal.post(`/v1/licenses/${id}/actions/cancel-subscription`, {})).status, 200, 'cancelling twice changes nothing');
      assert.equal((await mails(customer.id, 'license.cancelled')).length, 1);
      const resumed = await portal.post(`/v1/licenses/${id}/actions/resume-subscription`);
      assert.equal(resumed.status, 200, resumed.raw);
      assert.equal(resumed.body.subscription.autoRenew, true);
      assert.equal(resumed.body.subscription.cancelledAt, null);

      // Inside the notice period: refused, saying when notice was due; only staff may override.
      const end2 = Date.parse(s.secondEnd);
      t.clock.set(new Date(end2 - 10 * DAY));
      portal = await portalAt();
      const late = await portal.post(`/v1/licenses/${id}/actions/cancel-subscription`, {});
      assert.equal(late.status, 422, late.raw);
      assert.equal(late.body.error.code, 'CANCELLATION_PERIOD_PASSED');
      const due = new Date(end2 - 30 * DAY).toISOString().slice(0, 10);
      assert.ok(late.body.error.message.includes(due), `the message names ${due}: ${late.body.error.message}`);
      assert.equal(late.body.error.details.noticeDueBy, new Date(end2 - 30 * DAY).toISOString());
      assert.equal((await portal.post(`/v1/licenses/${id}/actions/cancel-subscription`, { override: true })).status, 403, 'a customer cannot override');
      const overridden = await api.post(`/v1/licenses/${id}/actions/cancel-subscription`, { override: true });
      assert.equal(overridden.status, 200, overridden.raw);
      assert.equal(overridden.body.subscription.autoRenew, false);
      const expiring = (await notices(created.key)).map((n) => n.code).sort();
      assert.deepEqual(expiring, ['EXPIRING_SOON', 'SUBSCRIPTION_CANCELLED']);

      // Term end: no renewal; grace (valid, with the warning code); the expired notice once; then expired.
      t.clock.set(new Date(end2 - 30 * 60_000));
      await tick();
      assert.equal((await api.get(`/v1/licenses/${id}`)).body.expiresAt, s.secondEnd, 'a cancelled subscription does not renew');
      t.clock.set(new Date(end2 + HOUR));
      await tick();
      await tick();
      const grace = await validate(created.key);
      assert.deepEqual([grace.valid, grace.code, grace.license.status], [true, 'GRACE_PERIOD', 'grace']);
      assert.deepEqual((await notices(created.key)).map((n) => n.code), ['GRACE_PERIOD']);
      const expiredMails = await mails(customer.id, 'license.expired');
      assert.equal(expiredMails.length, 1, 'the expired notice goes out once');
      assert.match(expiredMails[0].text, /keeps working until/);
      t.clock.set(new Date(end2 + 8 * DAY));
      await tick();
      const expired = await validate(created.key);
      assert.deepEqual([expired.valid, expired.code], [false, 'EXPIRED']);
      assert.equal((await mails(customer.id, 'license.expired')).length, 1);
      assert.equal((await api.get(`/v1/renewals?licenseId=${id}`)).body.data.length, 1, 'still one renewal');

      // Revoke: immediate, and a revoked subscription never renews.
      const other = await factories.license(api, policy.id, { customerId: customer.id });
      if (s.activateAfterDays) assert.equal((await anon.post('/v1/machines/activate', { key: other.key, fingerprint: unique('fp') })).status, 201);
      assert.equal((await validate(other.key)).code, 'VALID');
      const revoked = await api.post(`/v1/licenses/${other.id}/actions/revoke`);
      assert.equal(revoked.status, 200);
      assert.equal(revoked.body.subscription.autoRenew, false);
      assert.equal((await validate(other.key)).code, 'REVOKED');
      const otherEnd = Date.parse((await api.get(`/v1/licenses/${other.id}`)).body.expiresAt);
      t.clock.set(new Date(otherEnd - 30 * 60_000));
      await tick();
      assert.equal((await api.get(`/v1/renewals?licenseId=${other.id}`)).body.data.length, 0);
      assert.equal((await api.post(`/v1/licenses/${other.id}/actions/resume-subscription`)).status, 409);
    });
  }

  describe('renewing and cancelling by hand and from billing', () => {
    test('manual renewal with a price; billing renewals are idempotent by reference; renewLicense records subscriptions too', async () => {
      const t = ctx.t;
      t.clock.set('2040-01-15T10:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'subscription', { renewedBy: 'billing', price: 5000, currency: 'USD' });
      const customer = await factories.customer(api);
      const license = await factories.license(api, policy.id, { customerId: customer.id, subscription: { price: 4500 } });
      assert.equal(license.subscription.renewedBy, 'billing');
      assert.equal(license.subscription.price, 4500);
      // A billing-renewed subscription is not renewed by the sweep.
      t.clock.set('2041-01-15T09:30:00.000Z');
      await tick();
      assert.equal((await api.get(`/v1/licenses/${license.id}`)).body.expiresAt, '2041-01-15T10:00:00.000Z');
      const body = { source: 'billing', reference: 'in_123', price: 4700, currency: 'usd' };
      const first = await api.post(`/v1/licenses/${license.id}/actions/renew-subscription`, body);
      assert.equal(first.status, 200, first.raw);
      assert.equal(first.body.created, true);
      assert.equal(first.body.license.expiresAt, '2042-01-15T10:00:00.000Z');
      assert.deepEqual([first.body.renewal.price, first.body.renewal.currency, first.body.renewal.source], [4700, 'USD', 'billing']);
      const again = await api.post(`/v1/licenses/${license.id}/actions/renew-subscription`, body);
      assert.equal(again.status, 200);
      assert.equal(again.body.created, false);
      assert.equal(again.body.renewal.id, first.body.renewal.id);
      assert.equal(again.body.license.expiresAt, '2042-01-15T10:00:00.000Z');
      // Concurrent repeats of one billing event: one renewal.
      const burst = await Promise.all([1, 2, 3].map(() => api.post(`/v1/licenses/${license.id}/actions/renew-subscription`, { ...body, reference: 'in_456' })));
      assert.ok(burst.every((r) => r.status === 200), burst.map((r) => r.raw).join('\n'));
      assert.equal(burst.filter((r) => r.body.created).length, 1);
      assert.equal((await api.get(`/v1/licenses/${license.id}`)).body.expiresAt, '2043-01-15T10:00:00.000Z');
      // renewLicense on a subscription renews a term and records it (source manual, the license's price).
      const manual = await api.post(`/v1/licenses/${license.id}/actions/renew`);
      assert.equal(manual.status, 200, manual.raw);
      assert.equal(manual.body.expiresAt, '2044-01-15T10:00:00.000Z');
      const all = (await api.get(`/v1/renewals?licenseId=${license.id}`)).body.data;
      assert.deepEqual(all.map((r: any) => [r.source, r.price]), [['manual', 4500], ['billing', 4700], ['billing', 4700]]);
      // Billing may cancel without notice checks; only staff may say so.
      const admin = await factories.signedInUser(api, t.app, 'customer-admin', customer.id);
      assert.equal((await client(t.app, admin.token).post(`/v1/licenses/${license.id}/actions/cancel-subscription`, { source: 'billing' })).status, 403);
      t.clock.set('2044-01-10T00:00:00.000Z');
      const billingCancel = await api.post(`/v1/licenses/${license.id}/actions/cancel-subscription`, { source: 'billing' });
      assert.equal(billingCancel.status, 200, billingCancel.raw);
      // Not a subscription: 422.
      const timed = await factories.world(api);
      const notSub = await api.post(`/v1/licenses/${timed.license.id}/actions/cancel-subscription`, {});
      assert.equal(notSub.body.error.code, 'NOT_A_SUBSCRIPTION');
    });

    test('a subscription that lapsed past its grace period restarts from now when renewed by hand', async () => {
      const t = ctx.t;
      t.clock.set('2045-06-01T00:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'subscription', { termMonths: 1, autoRenew: false, graceDays: 3 });
      const license = await factories.license(api, policy.id);
      assert.equal(license.expiresAt, '2045-07-01T00:00:00.000Z');
      t.clock.set('2045-07-20T12:00:00.000Z');
      const renewed = await api.post(`/v1/licenses/${license.id}/actions/renew-subscription`, {});
      assert.equal(renewed.status, 200, renewed.raw);
      assert.equal(renewed.body.license.expiresAt, '2045-08-20T12:00:00.000Z');
      assert.equal(renewed.body.renewal.fromExpiry, '2045-07-01T00:00:00.000Z');
    });

    test('auto-renewing subscriptions get no expiry reminders unless configured; others do', async () => {
      const t = ctx.t;
      t.clock.set('2046-01-01T00:00:00.000Z');
      const product = await factories.product(api);
      const renewing = await factories.policy(api, product.id, 'subscription', {});
      const timed = await factories.policy(api, product.id, 'timed', { durationDays: 100 });
      const customer = await factories.customer(api);
      const sub = await factories.license(api, renewing.id, { customerId: customer.id });
      const plain = await factories.license(api, timed.id, { customerId: customer.id });
      // This suite's app reminds auto-renewing ones; the service of a default app would not.
      assert.equal(t.deps.config.remindAutoRenewing, true);
      t.clock.set(new Date(Date.parse(plain.expiresAt) - 15 * DAY + HOUR));
      await tick();
      const sent = (await mails(customer.id, 'license.expiring')).map((m) => m.subject);
      assert.equal(sent.length, 1, 'the timed license is reminded');
      assert.ok(sub.expiresAt > plain.expiresAt);
    });
  });

  describe('reports and isolation', () => {
    test('renewals: filters by period, product and customer; CSV; a customer sees its own organization only', async () => {
      const t = ctx.t;
      t.clock.set('2050-01-01T00:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'subscription', { price: 9900, currency: 'EUR' });
      const a = await factories.customer(api);
      const b = await factories.customer(api);
      const la = await factories.license(api, policy.id, { customerId: a.id });
      const lb = await factories.license(api, policy.id, { customerId: b.id });
      for (const l of [la, lb]) assert.equal((await api.post(`/v1/licenses/${l.id}/actions/renew-subscription`, {})).status, 200);
      t.clock.set('2050-02-01T00:00:00.000Z');
      assert.equal((await api.post(`/v1/licenses/${la.id}/actions/renew-subscription`, { price: 1234 })).status, 200);

      const january = (await api.get(`/v1/renewals?productId=${product.id}&from=2050-01-01T00:00:00Z&to=2050-02-01T00:00:00Z`)).body.data;
      assert.equal(january.length, 2);
      assert.equal((await api.get(`/v1/renewals?productId=${product.id}&customerId=${a.id}`)).body.data.length, 2);
      const csv = await api.get(`/v1/renewals/export?productId=${product.id}`);
      assert.equal(csv.status, 200);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      const lines = csv.raw.trim().split('\r\n');
      assert.equal(lines[0], 'renewal_id,at,license_id,customer_id,product_id,from_expiry,to_expiry,amount,currency,source,reference');
      assert.equal(lines.length, 4);
      assert.ok(lines[3]!.includes(',12.34,EUR,manual,'), lines[3]);

      const member = await factories.signedInUser(api, t.app, 'customer-member', a.id);
      const own = client(t.app, member.token);
      const seen = (await own.get('/v1/renewals?limit=100')).body.data;
      assert.ok(seen.length >= 2);
      assert.ok(seen.every((r: any) => r.customerId === a.id), 'only its own renewals');
      assert.deepEqual((await own.get(`/v1/renewals?customerId=${b.id}`)).body.data, []);
      assert.ok(!(await own.get('/v1/renewals/export')).raw.includes(lb.id));
      // Another organization's subscription: not found for the customer admin.
      const adminA = await factories.signedInUser(api, t.app, 'customer-admin', a.id);
      assert.equal((await client(t.app, adminA.token).post(`/v1/licenses/${lb.id}/actions/cancel-subscription`, {})).status, 404);
      assert.equal((await client(t.app, adminA.token).get(`/v1/licenses/${lb.id}/reminders`)).status, 404);
    });
  });
});
