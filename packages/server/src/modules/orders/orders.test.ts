import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

forEachDialect('orders', (dialect) => {
  const ctx = useTestApp(dialect);
  let api: Client;
  let product: any;
  let policy: any;

  before(async () => {
    api = ctx.api;
    product = await factories.product(api, { name: 'Photon Studio' });
    policy = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 2 });
  });

  const order = (overrides: Record<string, unknown> = {}) => ({
    externalId: unique('SHOP'),
    customer: { email: `${unique('buyer')}@Example.com`, name: 'Dana Reyes', company: 'Acme Corp' },
    items: [{ policyId: policy.id, quantity: 3, name: 'Photon Studio – 3 seats', price: 29_700, currency: 'eur' }],
    billing: { invoiceUrl: 'https://shop.example.com/invoices/1001', paymentStatus: 'paid', purchaseMethod: 'web shop', reference: 'INV-1001' },
    ...overrides,
  });

  const db = () => ctx.t.deps.database.db;
  /** Mails of a customer, through the mail module's outbox API. */
  const mailsOf = async (customerId: string) => (await ctx.t.services.mail.listMail({ customerId, limit: 100 })).data.length;
  const count = async (table: 'licenses' | 'customers' | 'users' | 'orders', where?: [string, string]) => {
    let q = db().selectFrom(table as 'licenses').select((eb) => eb.fn.countAll<number>().as('n'));
    if (where) q = q.where(where[0] as 'id', '=', where[1]);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };

  test('createOrder: a new buyer becomes a customer, a portal user without password and one license per line; the mail holds key and set-password link', async () => {
    const body = order();
    const res = await api.post('/v1/orders', body);
    assert.equal(res.status, 201, res.raw);
    const o = res.body;
    assert.match(o.id, /^ord_/);
    assert.equal(o.source, 'api');
    assert.equal(o.externalId, body.externalId);
    assert.equal(o.email, body.customer.email.toLowerCase());
    assert.equal(o.total, 29_700);
    assert.equal(o.currency, 'EUR');
    assert.deepEqual(o.billing, { invoiceUrl: 'https://shop.example.com/invoices/1001', paymentStatus: 'paid', purchaseMethod: 'web shop', reference: 'INV-1001' });
    assert.equal(o.items.length, 1);
    assert.equal(o.licenses.length, 1);

    // The license: from the policy, quantity × seats, billing copied, key shown once.
    const license = o.licenses[0];
    assert.equal(o.items[0].licenseId, license.id);
    assert.equal(license.maxMachines, 6, 'quantity 3 × 2 seats');
    assert.equal(license.policyId, policy.id);
    assert.equal(license.customerId, o.customerId);
    assert.equal(license.name, 'Photon Studio – 3 seats');
    assert.deepEqual(license.billing, { invoiceLinks: ['https://shop.example.com/invoices/1001'], paymentStatus: 'paid', purchaseMethod: 'web shop', reference: 'INV-1001' });
    assert.match(license.key, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){5}$/);
    const stored = await api.get(`/v1/licenses/${license.id}`);
    assert.equal(stored.body.key, undefined, 'the key is not in later reads');
    const valid = await client(ctx.t.app, undefined).post('/v1/licenses/validate', { key: license.key });
    assert.equal(valid.body.code, 'VALID');

    // Customer (company name, contact) and portal user (customer-admin, no password).
    const customer = (await api.get(`/v1/customers/${o.customerId}`)).body;
    assert.equal(customer.name, 'Acme Corp');
    assert.equal(customer.email, o.email);
    assert.deepEqual(customer.contacts, [{ name: 'Dana Reyes', email: o.email, role: 'buyer' }]);
    const user = (await api.get(`/v1/users/${o.userId}`)).body;
    assert.equal(user.email, o.email);
    assert.equal(user.role, 'customer-admin');
    assert.equal(user.customerId, o.customerId);
    assert.equal(user.hasPassword, false);

    // The confirmation mail, in the outbox (no SMTP configured here: held), with the key and a set-password link.
    assert.equal(o.mailIds.length, 1);
    // (The outbox view redacts one-time tokens; the SMTP test in stripe.test.ts reads the link as delivered.)
    const mail = await ctx.t.services.mail.getMail(o.mailIds[0]);
    assert.equal(mail.template, 'license.issued');
    assert.deepEqual(mail.to, [o.email]);
    assert.equal(mail.customerId, o.customerId);
    assert.equal(mail.userId, o.userId);
    assert.ok(mail.text.includes(license.key), 'the mail holds the key');
    assert.match(mail.text, /http:\/\/localhost:8080\/set-password\?token=/);

    // Audit: the order, the customer, the user and the license, all by the caller.
    const events = (await api.get(`/v1/events?targetId=${o.id}`)).body.data;
    assert.deepEqual(events.map((e: any) => e.action), ['order.created']);
    assert.equal(events[0].customerId, o.customerId);
    for (const [type, id] of [['customer', o.customerId], ['user', o.userId], ['license', license.id]]) {
      const e = (await api.get(`/v1/events?targetId=${id}`)).body.data;
      assert.ok(e.some((x: any) => x.action === `${type}.created`), `${type}.created`);
    }

    // Readable through getOrder and listOrders (filters).
    const got = await api.get(`/v1/orders/${o.id}`);
    assert.equal(got.status, 200);
    const { licenses: _l, ...plain } = o;
    assert.deepEqual(got.body, plain);
    for (const filter of [`externalId=${encodeURIComponent(body.externalId)}`, `customerId=${o.customerId}`, `licenseId=${license.id}`, `email=${encodeURIComponent(body.customer.email)}`]) {
      const list = await api.get(`/v1/orders?${filter}`);
      assert.equal(list.status, 200, list.raw);
      assert.deepEqual(list.body.data.map((x: any) => x.id), [o.id], filter);
    }
    assert.ok((await api.get('/v1/orders?source=manual')).body.data.every((x: any) => x.source === 'manual'));
  });

  test('a repeated order gives the same result: 200, the same order and licenses (keys too), no second license or mail', async () => {
    const body = order();
    const first = await api.post('/v1/orders', body);
    assert.equal(first.status, 201, first.raw);
    const licensesBefore = await count('licenses');
    const mailsBefore = await mailsOf(first.body.customerId);
    assert.equal(mailsBefore, 1);
    for (const repeat of [body, { ...body, sendEmail: false }]) {
      const again = await api.post('/v1/orders', repeat);
      assert.equal(again.status, 200, again.raw);
      assert.equal(again.body.id, first.body.id);
      assert.deepEqual(again.body.items, first.body.items);
      assert.deepEqual(
        again.body.licenses.map((l: any) => [l.id, l.key]),
        first.body.licenses.map((l: any) => [l.id, l.key]),
      );
    }
    assert.equal(await count('licenses'), licensesBefore, 'no second license');
    assert.equal(await mailsOf(first.body.customerId), mailsBefore, 'no second mail');
    assert.equal(await count('orders', ['external_id', body.externalId]), 1);
    // The same id with other content is a conflict, not a replay.
    const other = await api.post('/v1/orders', { ...body, items: [{ policyId: policy.id, quantity: 4 }] });
    assert.equal(other.status, 409, other.raw);
    assert.equal(other.body.error.code, 'ORDER_CONFLICT');
    assert.equal(other.body.error.details.orderId, first.body.id);
    // The same id from another source is another order.
    const manual = await api.post('/v1/orders', { ...body, source: 'manual' });
    assert.equal(manual.status, 201, manual.raw);
    assert.notEqual(manual.body.id, first.body.id);
    assert.equal(manual.body.customerId, first.body.customerId, 'the same buyer, found by e-mail');
  });

  test('concurrent identical orders: one order, one license, one mail, the same answer for all', async () => {
    const body = order();
    const results = await Promise.all(Array.from({ length: 8 }, () => api.post('/v1/orders', body)));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 201], results.map((r) => r.raw.slice(0, 200)).join('\n'));
    const ids = new Set(results.map((r) => r.body.id));
    assert.equal(ids.size, 1);
    const licenseIds = new Set(results.map((r) => r.body.licenses[0].id));
    assert.equal(licenseIds.size, 1);
    const keys = new Set(results.map((r) => r.body.licenses[0].key));
    assert.equal(keys.size, 1);
    const customerId = results[0]!.body.customerId;
    assert.equal(await count('licenses', ['customer_id', customerId]), 1);
    assert.equal(await mailsOf(customerId), 1);
    assert.equal(await count('customers', ['email', body.customer.email.toLowerCase()]), 1);
  });

  test('concurrent different orders for one new e-mail find one customer and one portal user', async () => {
    const email = `${unique('rush')}@example.com`;
    const results = await Promise.all(Array.from({ length: 6 }, () => api.post('/v1/orders', order({ customer: { email } }))));
    for (const r of results) assert.equal(r.status, 201, r.raw);
    assert.equal(new Set(results.map((r) => r.body.customerId)).size, 1);
    assert.equal(new Set(results.map((r) => r.body.userId)).size, 1);
    assert.equal(await count('customers', ['email', email]), 1);
    assert.equal(await count('users', ['email', email]), 1);
    assert.equal(await count('licenses', ['customer_id', results[0]!.body.customerId]), 6);
  });

  test('a manual order (received by e-mail) for a known customer: no new customer or user, sign-in link instead of set-password', async () => {
    const customer = await factories.customer(api, { email: `${unique('known')}@example.com` });
    const member = await factories.signedInUser(api, ctx.t.app, 'customer-admin', customer.id);
    const customersBefore = await count('customers');
    const usersBefore = await count('users');
    // The portal user's e-mail (in upper case) routes the order to its organization.
    const res = await api.post('/v1/orders', {
      externalId: 'PO-2026-0042',
      source: 'manual',
      customer: { email: member.email.toUpperCase() },
      items: [{ policyId: policy.id }],
      billing: { paymentStatus: 'invoice sent' },
    });
    assert.equal(res.status, 201, res.raw);
    assert.equal(res.body.customerId, customer.id);
    assert.equal(res.body.userId, member.user.id);
    assert.equal(res.body.source, 'manual');
    assert.equal(res.body.total, null);
    assert.deepEqual(res.body.licenses[0].billing, { invoiceLinks: [], paymentStatus: 'invoice sent', purchaseMethod: 'manual', reference: 'PO-2026-0042' });
    assert.equal(res.body.licenses[0].maxMachines, 2, 'quantity defaults to 1');
    assert.equal(await count('customers'), customersBefore);
    assert.equal(await count('users'), usersBefore);
    const { text } = await ctx.t.services.mail.getMail(res.body.mailIds[0]);
    assert.ok(text.includes(res.body.licenses[0].key));
    assert.ok(!text.includes('set-password'), 'the user has a password already');
    assert.ok(text.includes('http://localhost:8080/sign-in'));

    // The billing e-mail of a customer (no user with it) finds the customer too, and gives it a portal user.
    const billingOnly = await factories.customer(api, { email: `${unique('billing')}@example.com` });
    const second = await api.post('/v1/orders', { externalId: unique('PO'), source: 'manual', customer: { email: billingOnly.email }, items: [{ policyId: policy.id }], sendEmail: false });
    assert.equal(second.status, 201, second.raw);
    assert.equal(second.body.customerId, billingOnly.id);
    assert.deepEqual(second.body.mailIds, [], 'sendEmail: false');
    assert.equal((await api.get(`/v1/users/${second.body.userId}`)).body.customerId, billingOnly.id);
  });

  test('quantity → seats: machines for a per-machine policy, users for a per-user policy, unlimited stays unlimited; several lines, several licenses', async () => {
    const perUser = await factories.policy(api, product.id, 'subscription', { durationDays: 30, maxMachines: 3, maxUsers: 1 });
    const unlimited = await factories.policy(api, product.id, 'perpetual', { maxMachines: null });
    const res = await api.post('/v1/orders', order({
      items: [
        { policyId: policy.id, quantity: 10, price: 1000, currency: 'USD' },
        { policyId: perUser.id, quantity: 5, price: 500, currency: 'USD' },
        { policyId: unlimited.id, quantity: 7, price: 0, currency: 'usd' },
      ],
    }));
    assert.equal(res.status, 201, res.raw);
    const [a, b, c] = res.body.licenses;
    assert.equal(a.maxMachines, 20);
    assert.equal(b.maxUsers, 5);
    assert.equal(b.maxMachines, 3, 'machines per user stay as the policy says');
    assert.equal(b.type, 'subscription');
    assert.equal(c.maxMachines, null);
    assert.deepEqual(res.body.items.map((i: any) => i.quantity), [10, 5, 7]);
    assert.equal(res.body.total, 1500);
    assert.equal(res.body.currency, 'USD');
    assert.equal(res.body.mailIds.length, 3, 'one mail per license');
    assert.equal(new Set(res.body.licenses.map((l: any) => l.key)).size, 3);
  });

  test('bad input: clear 4xx, nothing written', async () => {
    const before = await count('orders');
    const cases: [unknown, number, string, string][] = [
      [order({ items: [{ policyId: 'pol_doesnotexist' }] }), 422, 'REFERENCE_NOT_FOUND', 'items.0.policyId'],
      [order({ items: [] }), 400, 'VALIDATION_FAILED', 'items'],
      [order({ items: [{ policyId: policy.id, quantity: 0 }] }), 400, 'VALIDATION_FAILED', 'items.0.quantity'],
      [order({ items: [{ policyId: policy.id, quantity: 1.5 }] }), 400, 'VALIDATION_FAILED', 'items.0.quantity'],
      [order({ customer: { email: 'not-an-email' } }), 400, 'VALIDATION_FAILED', 'customer.email'],
      [order({ externalId: '' }), 400, 'VALIDATION_FAILED', 'externalId'],
      [order({ externalId: ' padded ' }), 400, 'VALIDATION_FAILED', 'externalId'],
      [order({ source: 'shopify' }), 400, 'VALIDATION_FAILED', 'source'],
      [order({ items: [{ policyId: policy.id, currency: 'euro' }] }), 400, 'VALIDATION_FAILED', 'items.0.currency'],
      [order({ billing: { invoiceUrl: 'not a url' } }), 400, 'VALIDATION_FAILED', 'billing.invoiceUrl'],
      [order({ customer: { email: 'a@example.com', name: 'x\u0000y' } }), 400, 'VALIDATION_FAILED', 'customer.name'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await api.post('/v1/orders', body);
      assert.equal(res.status, status, `${field}: ${res.raw}`);
      assert.equal(res.body.error.code, code, res.raw);
      assert.ok(Object.keys(res.body.error.details.fields).some((f) => f === field || f.startsWith(`${field}.`)), `${field}: ${res.raw}`);
    }
    // Too many seats: 1,000,000-seat policy × 2.
    const huge = await factories.policy(api, product.id, 'timed', { maxMachines: 1_000_000 });
    const tooMany = await api.post('/v1/orders', order({ items: [{ policyId: huge.id, quantity: 2 }] }));
    assert.equal(tooMany.status, 400, tooMany.raw);
    assert.ok(tooMany.body.error.details.fields['items.0.quantity']);
    assert.equal(await count('orders'), before);
    assert.equal((await api.get('/v1/orders/ord_unknown')).status, 404);
  });

  test('customers see their own organization\'s orders only; only staff with orders:write create them', async () => {
    const a = await api.post('/v1/orders', order());
    const b = await api.post('/v1/orders', order());
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const adminA = await factories.signedInUser(api, ctx.t.app, 'customer-admin', a.body.customerId);
    const viewA = client(ctx.t.app, adminA.token);
    const list = await viewA.get('/v1/orders?limit=100');
    assert.equal(list.status, 200, list.raw);
    assert.deepEqual(list.body.data.map((o: any) => o.id), [a.body.id]);
    for (const filter of [`customerId=${b.body.customerId}`, `externalId=${encodeURIComponent(b.body.externalId)}`, `licenseId=${b.body.items[0].licenseId}`]) {
      assert.deepEqual((await viewA.get(`/v1/orders?${filter}`)).body.data, [], filter);
    }
    assert.equal((await viewA.get(`/v1/orders/${a.body.id}`)).status, 200);
    assert.equal((await viewA.get(`/v1/orders/${b.body.id}`)).status, 404);
    const write = await viewA.post('/v1/orders', order());
    assert.equal(write.status, 403);
    const memberA = await factories.signedInUser(api, ctx.t.app, 'customer-member', a.body.customerId);
    assert.equal((await client(ctx.t.app, memberA.token).get('/v1/orders')).status, 403);
    const sales = await factories.signedInUser(api, ctx.t.app, 'sales');
    assert.equal((await client(ctx.t.app, sales.token).post('/v1/orders', order())).status, 201);
    const support = await factories.signedInUser(api, ctx.t.app, 'support');
    assert.equal((await client(ctx.t.app, support.token).post('/v1/orders', order())).status, 403);
    assert.equal((await client(ctx.t.app, support.token).get(`/v1/orders/${b.body.id}`)).status, 200);
  });
});
