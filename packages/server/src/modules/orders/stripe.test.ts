import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config.js';
import { AppError } from '../../http/errors.js';
import { client, factories, forEachDialect, startTestApp, TEST_STRIPE_WEBHOOK_SECRET, type Client, type TestApp } from '../../testing/harness.js';
import { startTestSmtpServer, type TestSmtpServer } from '../../testing/smtp.js';
import { checkoutSessionToOrder, verifyStripeSignature } from './stripe.js';

/**
 * Stripe signs `<t>.<raw body>` with HMAC-SHA256 under the endpoint secret and sends
 * `Stripe-Signature: t=<t>,v1=<hex>`. Computed here from that description (not with the code under test).
 */
function stripeSignature(payload: string, timestamp: number, secret = TEST_STRIPE_WEBHOOK_SECRET): string {
  return createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
}

let counter = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

/** A `checkout.session.completed` event as Stripe sends it (API version 2024-06-20), trimmed of fields nobody reads. */
function checkoutEvent(session: Record<string, unknown> = {}, type = 'checkout.session.completed'): Record<string, any> {
  return {
    id: unique('evt_1Q'),
    object: 'event',
    api_version: '2024-06-20',
    created: 1772366400,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: {
      object: {
        id: unique('cs_test_a1'),
        object: 'checkout.session',
        after_expiration: null,
        allow_promotion_codes: null,
        amount_subtotal: 29_700,
        amount_total: 29_700,
        billing_address_collection: null,
        cancel_url: 'https://shop.example.com/cancel',
        client_reference_id: null,
        currency: 'eur',
        customer: unique('cus_Q'),
        customer_creation: 'always',
        customer_details: {
          address: { city: 'Berlin', country: 'DE', line1: 'Hauptstr. 1', line2: null, postal_code: '10115', state: null },
          email: `${unique('jane.doe')}@Example.com`,
          name: 'Jane Doe',
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        },
        customer_email: null,
        expires_at: 1772452800,
        invoice: unique('in_1Q'),
        livemode: false,
        locale: null,
        metadata: {},
        mode: 'payment',
        payment_intent: unique('pi_3Q'),
        payment_method_types: ['card'],
        payment_status: 'paid',
        status: 'complete',
        submit_type: null,
        subscription: null,
        success_url: 'https://shop.example.com/thanks',
        total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
        url: null,
        ...session,
      },
    },
  };
}

describe('Stripe configuration', () => {
  test('STRIPE_WEBHOOK_SECRET: unset by default, taken as is, refused when it cannot be a signing secret', () => {
    assert.equal(loadConfig({}).stripeWebhookSecret, undefined);
    assert.equal(loadConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_abcdefghijklmnopqrstuvwxyz012345' }).stripeWebhookSecret, 'whsec_abcdefghijklmnopqrstuvwxyz012345');
    for (const bad of ['whsec_short', 'whsec_abcdefghijklmnop qrstuvwxyz']) {
      assert.throws(() => loadConfig({ STRIPE_WEBHOOK_SECRET: bad }), (e: unknown) => e instanceof ConfigError && /STRIPE_WEBHOOK_SECRET/.test(e.message));
    }
  });
});

describe('Stripe signature verification', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');
  const t = Math.floor(now.getTime() / 1000);
  const payload = Buffer.from(JSON.stringify({ id: 'evt_1', type: 'checkout.session.completed' }));
  const header = (v1s: string[], ts = t) => [`t=${ts}`, ...v1s.map((v) => `v1=${v}`)].join(',');
  const good = stripeSignature(payload.toString(), t);
  const refuses = (fn: () => void, reason: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof AppError && e.code === 'SIGNATURE_INVALID' && e.statusCode === 400 && reason.test(e.message));

  test('accepts the signature Stripe computes, also among several v1 values and next to v0', () => {
    verifyStripeSignature(payload, header([good]), TEST_STRIPE_WEBHOOK_SECRET, now);
    verifyStripeSignature(payload, header(['0'.repeat(64), good]), TEST_STRIPE_WEBHOOK_SECRET, now);
    verifyStripeSignature(payload, `t=${t},v1=${good},v0=${'1'.repeat(64)}`, TEST_STRIPE_WEBHOOK_SECRET, now);
  });

  test('refuses a changed body, another secret, a stale or future timestamp, and malformed headers', () => {
    refuses(() => verifyStripeSignature(Buffer.concat([payload, Buffer.from(' ')]), header([good]), TEST_STRIPE_WEBHOOK_SECRET, now), /no signature matches/);
    refuses(() => verifyStripeSignature(payload, header([stripeSignature(payload.toString(), t, 'whsec_other_secret_0123456789')]), TEST_STRIPE_WEBHOOK_SECRET, now), /no signature matches/);
    // The signature covers the timestamp: moving t invalidates it.
    refuses(() => verifyStripeSignature(payload, header([good], t + 1), TEST_STRIPE_WEBHOOK_SECRET, now), /no signature matches/);
    const old = t - 301;
    refuses(() => verifyStripeSignature(payload, header([stripeSignature(payload.toString(), old)], old), TEST_STRIPE_WEBHOOK_SECRET, now), /301 s old/);
    const future = t + 301;
    refuses(() => verifyStripeSignature(payload, header([stripeSignature(payload.toString(), future)], future), TEST_STRIPE_WEBHOOK_SECRET, now), /in the future/);
    const edge = t - 300;
    verifyStripeSignature(payload, header([stripeSignature(payload.toString(), edge)], edge), TEST_STRIPE_WEBHOOK_SECRET, now);
    refuses(() => verifyStripeSignature(payload, undefined, TEST_STRIPE_WEBHOOK_SECRET, now), /missing/);
    refuses(() => verifyStripeSignature(payload, `v1=${good}`, TEST_STRIPE_WEBHOOK_SECRET, now), /no timestamp/);
    refuses(() => verifyStripeSignature(payload, `t=${t},v0=${good}`, TEST_STRIPE_WEBHOOK_SECRET, now), /no v1/);
    refuses(() => verifyStripeSignature(payload, `t=${t},v1=${good.slice(0, 63)}`, TEST_STRIPE_WEBHOOK_SECRET, now), /no v1/);
    refuses(() => verifyStripeSignature(payload, 'garbage', TEST_STRIPE_WEBHOOK_SECRET, now), /no timestamp/);
  });

  test('maps a session: buyer, one line from metadata, billing, totals, subscription', () => {
    const event = checkoutEvent({
      metadata: { keyhaven_policy: 'pol_1', keyhaven_quantity: '3', keyhaven_name: 'Photon – 3 seats' },
      customer_details: { email: 'Jane@Example.com', name: 'Jane Doe', business_name: 'Acme GmbH' },
      invoice: { id: 'in_1', number: 'ACME-0001', hosted_invoice_url: 'https://invoice.stripe.com/i/acct_1/test_1' },
      subscription: 'sub_1',
      mode: 'subscription',
    });
    const order = checkoutSessionToOrder(event.data.object);
    assert.equal(order.externalId, event.data.object.id);
    assert.equal(order.source, 'stripe');
    assert.deepEqual(order.customer, { email: 'jane@example.com', name: 'Jane Doe', company: 'Acme GmbH' });
    assert.deepEqual(order.items, [{ policyId: 'pol_1', quantity: 3, name: 'Photon – 3 seats', price: 29_700, currency: 'EUR' }]);
    assert.deepEqual(order.billing, { invoiceUrl: 'https://invoice.stripe.com/i/acct_1/test_1', paymentStatus: 'paid', purchaseMethod: 'stripe', reference: 'ACME-0001' });
    assert.equal(order.total, 29_700);
    assert.equal(order.currency, 'EUR');
    assert.equal(order.subscriptionRef, 'sub_1');
    assert.throws(() => checkoutSessionToOrder(checkoutEvent().data.object), (e: unknown) => e instanceof AppError && e.code === 'STRIPE_EVENT_UNMAPPED');
    assert.throws(
      () => checkoutSessionToOrder(checkoutEvent({ metadata: { keyhaven_policy: 'pol_1', keyhaven_quantity: 'many' } }).data.object),
      (e: unknown) => e instanceof AppError && e.code === 'STRIPE_EVENT_UNMAPPED' && /keyhaven_quantity/.test(e.message),
    );
    assert.throws(
      () => checkoutSessionToOrder(checkoutEvent({ metadata: { keyhaven_policy: 'pol_1' }, customer_details: { email: null } }).data.object),
      (e: unknown) => e instanceof AppError && e.code === 'STRIPE_EVENT_UNMAPPED' && /e-mail/.test(e.message),
    );
  });
});

forEachDialect('Stripe adapter', (dialect) => {
  let t: TestApp;
  let api: Client;
  let smtp: TestSmtpServer;
  let product: any;
  let policy: any;

  before(async () => {
    smtp = await startTestSmtpServer();
    t = await startTestApp(dialect, { config: { smtpUrl: smtp.url, publicUrl: 'https://licenses.example.com' } });
    api = client(t.app);
    product = await factories.product(api, { name: 'Photon Studio' });
    policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 2 });
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
  });

  /** Sends an event the way Stripe does: the exact bytes, signed over those bytes. */
  const deliver = async (
    event: unknown,
    options: { secret?: string; timestamp?: number; header?: string | null; body?: string; contentType?: string } = {},
  ) => {
    const payload = JSON.stringify(event);
    const timestamp = options.timestamp ?? Math.floor(t.clock.now().getTime() / 1000);
    const header = options.header === undefined ? `t=${timestamp},v1=${stripeSignature(payload, timestamp, options.secret)}` : options.header;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/integrations/stripe/webhook',
      headers: { 'content-type': options.contentType ?? 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', ...(header !== null ? { 'stripe-signature': header } : {}) },
      payload: options.body ?? payload,
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, raw: res.body };
  };

  const count = async (table: 'licenses' | 'orders' | 'inbound_events' | 'customers' | 'users') =>
    Number((await t.deps.database.db.selectFrom(table as 'licenses').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  test('done when: a signed checkout.session.completed creates customer, portal user and license, and the mail with key and link arrives over SMTP', async () => {
    const event = checkoutEvent({ metadata: { keyhaven_policy: policy.id, keyhaven_quantity: '3' } });
    const session = event.data.object;
    const res = await deliver(event);
    assert.equal(res.status, 200, res.raw);
    assert.equal(res.body.received, true);
    assert.equal(res.body.outcome, 'processed');
    assert.match(res.body.orderId, /^ord_/);

    const order = (await api.get(`/v1/orders/${res.body.orderId}`)).body;
    assert.equal(order.source, 'stripe');
    assert.equal(order.externalId, session.id);
    assert.equal(order.email, session.customer_details.email.toLowerCase());
    assert.equal(order.total, 29_700);
    assert.equal(order.currency, 'EUR');
    assert.equal(order.metadata.stripeCustomer, session.customer);
    const customer = (await api.get(`/v1/customers/${order.customerId}`)).body;
    assert.equal(customer.email, order.email);
    assert.equal(customer.name, 'Jane Doe');
    const user = (await api.get(`/v1/users/${order.userId}`)).body;
    assert.equal(user.role, 'customer-admin');
    assert.equal(user.customerId, customer.id);
    const license = (await api.get(`/v1/licenses/${order.items[0].licenseId}`)).body;
    assert.equal(license.customerId, customer.id);
    assert.equal(license.maxMachines, 6, '3 × 2 seats');
    assert.deepEqual(license.billing, { invoiceLinks: [], paymentStatus: 'paid', purchaseMethod: 'stripe', reference: session.payment_intent });
    const events = (await api.get(`/v1/events?targetId=${order.id}`)).body.data;
    assert.equal(events[0].actor.type, 'system');
    assert.equal(events[0].actor.id, 'stripe');

    // The mail job delivers to the SMTP server.
    const before = smtp.received.length;
    await t.services.worker.drain();
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    assert.deepEqual(mail!.envelopeTo, [order.email]);
    assert.equal(mail!.subject, 'Your Photon Studio license key');
    const key = (await api.get(`/v1/licenses/${license.id}/key`)).body.key;
    assert.ok(mail!.text!.includes(key), 'the key is in the mail');
    assert.ok(String(mail!.html).includes(key), 'and in its HTML part');
    const link = /https:\/\/licenses\.example\.com\/set-password\?token=(khpw_[A-Za-z0-9_-]+)/.exec(mail!.text!);
    assert.ok(link, `a set-password link in:\n${mail!.text}`);

    // The link works: the buyer sets a password, signs in, and sees the license in the portal.
    const anon = client(t.app, undefined);
    const set = await anon.post('/v1/auth/password-reset/complete', { token: link[1], password: 'correct horse battery staple' });
    assert.equal(set.status, 204, set.raw);
    const signIn = await anon.post('/v1/auth/sign-in', { email: order.email, password: 'correct horse battery staple' });
    assert.equal(signIn.status, 200, signIn.raw);
    const mine = await client(t.app, signIn.body.token).get('/v1/licenses');
    assert.deepEqual(mine.body.data.map((l: any) => l.id), [license.id]);
    const myOrders = await client(t.app, signIn.body.token).get('/v1/orders');
    assert.deepEqual(myOrders.body.data.map((o: any) => o.id), [order.id]);
  });

  test('a tampered body, another secret, a stale timestamp or no signature: 400 SIGNATURE_INVALID and no effect', async () => {
    const counts = [await count('orders'), await count('licenses'), await count('inbound_events')];
    const event = checkoutEvent({ metadata: { keyhaven_policy: policy.id } });
    const payload = JSON.stringify(event);
    const ts = Math.floor(t.clock.now().getTime() / 1000);
    const signature = `t=${ts},v1=${stripeSignature(payload, ts)}`;
    const tampered = payload.replace('"keyhaven_policy"', '"keyhaven_quantity":"999","keyhaven_policy"');
    const reformatted = JSON.stringify(event, null, 2);
    const attempts: [string, Parameters<typeof deliver>[1]][] = [
      ['tampered body', { header: signature, body: tampered }],
      ['the same JSON re-serialized', { header: signature, body: reformatted }],
      ['another secret', { secret: 'whsec_not_the_endpoint_secret_000' }],
      ['a stale timestamp', { timestamp: ts - 6 * 60 }],
      ['no signature', { header: null }],
      ['an empty signature', { header: '' }],
    ];
    for (const [label, options] of attempts) {
      const res = await deliver(event, options);
      assert.equal(res.status, 400, `${label}: ${res.raw}`);
      assert.equal(res.body.error.code, 'SIGNATURE_INVALID', label);
    }
    assert.deepEqual([await count('orders'), await count('licenses'), await count('inbound_events')], counts);
    // The same event, correctly signed, still goes through afterwards.
    assert.equal((await deliver(event)).body.outcome, 'processed');
  });

  test('a replayed event is acknowledged without effects; a second event for the same session issues nothing', async () => {
    const event = checkoutEvent({ metadata: { keyhaven_policy: policy.id } });
    const first = await deliver(event);
    assert.equal(first.body.outcome, 'processed', first.raw);
    const licenses = await count('licenses');
    const customerId = (await api.get(`/v1/orders/${first.body.orderId}`)).body.customerId;
    const mailsOf = async () => (await t.services.mail.listMail({ customerId, limit: 100 })).data.length;
    const mails = await mailsOf();
    assert.equal(mails, 1);
    for (let i = 0; i < 3; i++) {
      const again = await deliver(event);
      assert.equal(again.status, 200);
      assert.deepEqual(again.body, { received: true, outcome: 'duplicate', orderId: first.body.orderId });
    }
    // Stripe may also send async_payment_succeeded for the same session: same order, nothing new.
    const other = await deliver({ ...event, id: unique('evt_1Q'), type: 'checkout.session.async_payment_succeeded' });
    assert.equal(other.body.outcome, 'processed', other.raw);
    assert.equal(other.body.orderId, first.body.orderId);
    assert.match(other.body.detail, /already existed/);
    assert.equal(await count('licenses'), licenses);
    assert.equal(await mailsOf(), mails);
  });

  test('concurrent deliveries of one event: one order, one license', async () => {
    const event = checkoutEvent({ metadata: { keyhaven_policy: policy.id } });
    const licenses = await count('licenses');
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(event)));
    for (const a of answers) assert.equal(a.status, 200, a.raw);
    assert.deepEqual(answers.map((a) => a.body.outcome).sort(), ['duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'processed']);
    assert.equal(new Set(answers.map((a) => a.body.orderId)).size, 1);
    assert.equal(await count('licenses'), licenses + 1);
  });

  test('an unpaid session waits for async_payment_succeeded; setup sessions and other event types are acknowledged and ignored', async () => {
    const event = checkoutEvent({ metadata: { keyhaven_policy: policy.id }, payment_status: 'unpaid', payment_method_types: ['sepa_debit'] });
    const orders = await count('orders');
    const pending = await deliver(event);
    assert.equal(pending.status, 200);
    assert.equal(pending.body.outcome, 'ignored');
    assert.match(pending.body.detail, /async_payment_succeeded/);
    assert.equal(await count('orders'), orders);
    const paid = checkoutEvent({ ...event.data.object, payment_status: 'paid' }, 'checkout.session.async_payment_succeeded');
    const done = await deliver(paid);
    assert.equal(done.body.outcome, 'processed', done.raw);
    assert.equal((await api.get(`/v1/orders/${done.body.orderId}`)).body.externalId, event.data.object.id);

    const setup = await deliver(checkoutEvent({ mode: 'setup', payment_status: 'no_payment_required' }));
    assert.equal(setup.body.outcome, 'ignored');
    const unknown = { id: unique('evt_'), object: 'event', type: 'charge.refunded', data: { object: { id: 'ch_1', object: 'charge' } } };
    const ignored = await deliver(unknown);
    assert.equal(ignored.status, 200);
    assert.deepEqual(ignored.body, { received: true, outcome: 'ignored', detail: 'charge.refunded is not handled' });
    assert.equal((await deliver(unknown)).body.outcome, 'duplicate');
    assert.equal(await count('orders'), orders + 1);
  });

  test('line items: expanded line_items with price or product metadata, or a keyhaven_items list; quantity → seats', async () => {
    const perUser = await factories.policy(api, product.id, 'subscription', { durationDays: 30, maxMachines: 2, maxUsers: 1 });
    const expanded = checkoutEvent({
      amount_total: 60_000,
      line_items: {
        object: 'list',
        data: [
          { id: 'li_1', object: 'item', quantity: 4, amount_total: 40_000, currency: 'eur', description: 'Photon Studio', price: { id: 'price_1', metadata: { keyhaven_policy: policy.id } } },
          { id: 'li_2', object: 'item', quantity: 10, amount_total: 20_000, currency: 'eur', description: 'Team seats', price: { id: 'price_2', metadata: {}, product: { id: 'prod_2', metadata: { keyhaven_policy: perUser.id } } } },
          { id: 'li_3', object: 'item', quantity: 1, amount_total: 990, currency: 'eur', description: 'Printed manual', price: { id: 'price_3', metadata: {} } },
        ],
        has_more: false,
      },
    });
    const a = await deliver(expanded);
    assert.equal(a.body.outcome, 'processed', a.raw);
    const orderA = (await api.get(`/v1/orders/${a.body.orderId}`)).body;
    assert.deepEqual(orderA.items.map((i: any) => [i.policyId, i.quantity, i.price, i.name]), [
      [policy.id, 4, 40_000, 'Photon Studio'],
      [perUser.id, 10, 20_000, 'Team seats'],
    ]);
    assert.equal((await api.get(`/v1/licenses/${orderA.items[0].licenseId}`)).body.maxMachines, 8);
    assert.equal((await api.get(`/v1/licenses/${orderA.items[1].licenseId}`)).body.maxUsers, 10);

    const listed = checkoutEvent({ metadata: { keyhaven_items: JSON.stringify([{ policy: policy.id, quantity: 2 }, { policy: perUser.id }]) } });
    const b = await deliver(listed);
    assert.equal(b.body.outcome, 'processed', b.raw);
    const orderB = (await api.get(`/v1/orders/${b.body.orderId}`)).body;
    assert.deepEqual(orderB.items.map((i: any) => [i.policyId, i.quantity]), [[policy.id, 2], [perUser.id, 1]]);
    assert.equal(orderB.total, 29_700);
  });

  test('events that cannot become an order are 422 and not recorded, so a later delivery can still succeed', async () => {
    const inbound = await count('inbound_events');
    const none = await deliver(checkoutEvent());
    assert.equal(none.status, 422, none.raw);
    assert.equal(none.body.error.code, 'STRIPE_EVENT_UNMAPPED');
    assert.match(none.body.error.message, /keyhaven_policy/);
    const unknownPolicy = await deliver(checkoutEvent({ metadata: { keyhaven_policy: 'pol_deleted' } }));
    assert.equal(unknownPolicy.status, 422, unknownPolicy.raw);
    assert.equal(unknownPolicy.body.error.code, 'REFERENCE_NOT_FOUND');
    const badList = await deliver(checkoutEvent({ metadata: { keyhaven_items: '[{"policy": 1}' } }));
    assert.equal(badList.status, 422);
    assert.equal(await count('inbound_events'), inbound);
  });

  test('a Stripe subscription: the checkout sells a billing-renewed subscription; invoices renew it, subscription events cancel and resume it', async () => {
    const monthly = await factories.policy(api, product.id, 'subscription', { durationDays: 30, maxMachines: 1, cancellationNoticeDays: 14 });
    const subscriptionId = unique('sub_1Q');
    const checkout = checkoutEvent({ mode: 'subscription', subscription: subscriptionId, amount_total: 1_500, metadata: { keyhaven_policy: monthly.id, keyhaven_quantity: '2' } });
    const bought = await deliver(checkout);
    assert.equal(bought.body.outcome, 'processed', bought.raw);
    const order = (await api.get(`/v1/orders/${bought.body.orderId}`)).body;
    assert.equal(order.subscriptionRef, subscriptionId);
    const licenseId = order.items[0].licenseId;
    const start = (await api.get(`/v1/licenses/${licenseId}`)).body;
    assert.equal(start.maxMachines, 2);
    assert.equal(start.subscription.renewedBy, 'billing', 'Stripe renews it, not the sweep');
    assert.equal(start.subscription.autoRenew, true);
    assert.equal(start.subscription.price, 1_500);
    assert.equal(start.subscription.currency, 'EUR');

    const invoice = (reason: string, periodEnd: number, id = unique('in_1Q')) => ({
      id: unique('evt_1Q'),
      object: 'event',
      type: 'invoice.paid',
      data: {
        object: {
          id,
          object: 'invoice',
          billing_reason: reason,
          subscription: subscriptionId,
          amount_paid: 1_500,
          currency: 'eur',
          status: 'paid',
          lines: { object: 'list', data: [{ id: 'il_1', object: 'line_item', amount: 1_500, period: { start: periodEnd - 30 * 86_400, end: periodEnd } }] },
        },
      },
    });
    const first = await deliver(invoice('subscription_create', Math.floor(Date.parse(start.expiresAt) / 1000)));
    assert.equal(first.body.outcome, 'ignored');
    assert.match(first.body.detail, /first invoice/);

    // A month later Stripe charges again: the expiry moves to the period end Stripe paid for, recorded as a billing renewal.
    t.clock.advanceDays(29);
    const periodEnd = Math.floor(Date.parse(start.expiresAt) / 1000) + 31 * 86_400;
    const cycle = invoice('subscription_cycle', periodEnd);
    const renewed = await deliver(cycle);
    assert.equal(renewed.body.outcome, 'processed', renewed.raw);
    assert.match(renewed.body.detail, new RegExp(`renewed ${licenseId}`));
    const after = (await api.get(`/v1/licenses/${licenseId}`)).body;
    assert.equal(after.expiresAt, new Date(periodEnd * 1000).toISOString());
    const renewals = (await api.get(`/v1/renewals?licenseId=${licenseId}`)).body.data;
    assert.equal(renewals.length, 1);
    assert.equal(renewals[0].source, 'billing');
    assert.equal(renewals[0].price, 1_500);
    assert.equal(renewals[0].currency, 'EUR');
    assert.equal(renewals[0].reference, cycle.data.object.id);
    // The same invoice in another event (a resend) renews nothing more; the same event is a duplicate.
    assert.equal((await deliver({ ...cycle, id: unique('evt_1Q') })).body.outcome, 'processed');
    assert.equal((await deliver(cycle)).body.outcome, 'duplicate');
    assert.equal((await api.get(`/v1/renewals?licenseId=${licenseId}`)).body.data.length, 1);
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.expiresAt, after.expiresAt);

    const subscriptionEvent = (type: string, object: Record<string, unknown>, previous?: Record<string, unknown>) => ({
      id: unique('evt_1Q'),
      object: 'event',
      type,
      data: { object: { id: subscriptionId, object: 'subscription', status: 'active', cancel_at_period_end: false, cancel_at: null, ...object }, ...(previous ? { previous_attributes: previous } : {}) },
    });
    // Inside the 14-day notice period: a customer could not cancel in the portal, but Stripe's word counts.
    t.clock.advanceDays(25);
    const cancel = await deliver(subscriptionEvent('customer.subscription.updated', { cancel_at_period_end: true }, { cancel_at_period_end: false }));
    assert.equal(cancel.body.outcome, 'processed', cancel.raw);
    let sub = (await api.get(`/v1/licenses/${licenseId}`)).body.subscription;
    assert.equal(sub.autoRenew, false);
    assert.ok(sub.cancelledAt);
    const resume = await deliver(subscriptionEvent('customer.subscription.updated', { cancel_at_period_end: false }, { cancel_at_period_end: true }));
    assert.equal(resume.body.outcome, 'processed', resume.raw);
    sub = (await api.get(`/v1/licenses/${licenseId}`)).body.subscription;
    assert.equal(sub.autoRenew, true);
    assert.equal(sub.cancelledAt, null);
    const unrelated = await deliver(subscriptionEvent('customer.subscription.updated', { default_payment_method: 'pm_2' }, { default_payment_method: 'pm_1' }));
    assert.equal(unrelated.body.outcome, 'ignored');
    const deleted = await deliver(subscriptionEvent('customer.subscription.deleted', { status: 'canceled', ended_at: Math.floor(t.clock.now().getTime() / 1000) }));
    assert.equal(deleted.body.outcome, 'processed', deleted.raw);
    sub = (await api.get(`/v1/licenses/${licenseId}`)).body.subscription;
    assert.equal(sub.autoRenew, false);
    // Access lasts until the paid period ends; the sweep does not renew it either.
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.status, 'active');
    t.clock.advanceDays(10);
    await t.services.worker.drain();
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.expiresAt, after.expiresAt);
    assert.equal((await api.get(`/v1/renewals?licenseId=${licenseId}`)).body.data.length, 1);

    const unknown = await deliver({ ...subscriptionEvent('customer.subscription.deleted', {}), data: { object: { id: 'sub_unknown', object: 'subscription', status: 'canceled' } } });
    assert.equal(unknown.body.outcome, 'ignored');
    assert.match(unknown.body.detail, /no order started subscription sub_unknown/);
  });

  test('malformed requests: invalid JSON, other content types, a signed non-event', async () => {
    const badJson = await deliver({}, { body: '{"id": "evt_1", ', header: 't=1,v1=00' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'VALIDATION_FAILED');
    const form = await deliver({ id: 'evt_1' }, { contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const notAnEvent = await deliver({ hello: 'world' });
    assert.equal(notAnEvent.status, 400);
    assert.equal(notAnEvent.body.error.code, 'VALIDATION_FAILED');
    assert.ok(notAnEvent.body.error.details.fields.id);
    const nul = await deliver(checkoutEvent({ metadata: { keyhaven_policy: policy.id }, customer_details: { email: `${unique('nul')}@example.com`, name: 'Ja\u0000ne' } }));
    assert.equal(nul.status, 200, nul.raw);
    assert.equal((await api.get(`/v1/orders/${nul.body.orderId}`)).body.customerName, 'Jane');
  });
});

forEachDialect('Stripe adapter without a secret', (dialect) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(dialect, { config: { stripeWebhookSecret: undefined } });
  });
  after(async () => t?.close());

  test('answers 503 INTEGRATION_NOT_CONFIGURED', async () => {
    const payload = JSON.stringify(checkoutEvent());
    const ts = Math.floor(t.clock.now().getTime() / 1000);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/integrations/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${ts},v1=${stripeSignature(payload, ts)}` },
      payload,
    });
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(JSON.parse(res.body).error.code, 'INTEGRATION_NOT_CONFIGURED');
  });
});
