import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';

/**
 * The partner reports on a crafted set: subscriptions of two partners active, ended, revoked (before and
 * during the day) and not yet started around the chosen day, a timed license, a vendor customer's license,
 * renewals inside and outside the period; exact figures, CSV, and who may see what.
 */
forEachDialect('partner reports', (dialect) => {
  const ctx = useTestApp(dialect);
  let api: Client;
  before(() => {
    api = ctx.api;
  });

  async function signIn(email: string, password: string): Promise<Client> {
    const res = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password });
    assert.equal(res.status, 200, res.raw);
    return client(ctx.t.app, res.body.token);
  }

  async function partnerUser(partnerId: string, role: 'partner-admin' | 'partner-member') {
    const email = `${role}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
    const password = 'correct horse battery';
    const res = await api.post('/v1/users', { email, password, role, partnerId });
    assert.equal(res.status, 201, res.raw);
    return { email, password };
  }

  async function renew(id: string) {
    const res = await api.post(`/v1/licenses/${id}/actions/renew-subscription`, {});
    assert.equal(res.status, 200, res.raw);
  }

  test('active subscriptions on a day and activity per partner: exact figures, CSV, scoping, bad dates', async () => {
    const t = ctx.t;
    t.clock.set('2026-05-01T10:00:00.000Z');
    const product = await factories.product(api);
    const sub = await factories.policy(api, product.id, 'subscription', { termMonths: 1, graceDays: 0, price: 1000, currency: 'EUR' });
    const timed = await factories.policy(api, product.id, 'timed', { durationDays: 365 });
    const stamp = `${Date.now()}-${Math.random()}`;
    const group = (await api.post('/v1/product-groups', { name: `Report ${stamp}`, productIds: [product.id] })).body;
    const P = (await api.post('/v1/partners', { name: `P ${stamp}`, grants: [{ productGroupId: group.id, rights: ['licenses:create', 'customers:create'] }] })).body;
    const Q = (await api.post('/v1/partners', { name: `Q ${stamp}`, grants: [{ productGroupId: group.id, rights: ['licenses:create'] }] })).body;
    const cP = await factories.customer(api, { partnerId: P.id });
    const cQ = await factories.customer(api, { partnerId: Q.id });
    const vendorCustomer = await factories.customer(api);
    if (cP.partnerId !== P.id) assert.equal((await api.patch(`/v1/customers/${cP.id}`, { partnerId: P.id })).status, 200);
    if (cQ.partnerId !== Q.id) assert.equal((await api.patch(`/v1/customers/${cQ.id}`, { partnerId: Q.id })).status, 200);

    // May 1: the vendor sells five licenses to P's customer, one to a vendor customer.
    const renewed = await factories.license(api, sub.id, { customerId: cP.id }); // renewed May 31: active June 15
    const ended = await factories.license(api, sub.id, { customerId: cP.id }); // ends June 1
    const revokedBefore = await factories.license(api, sub.id, { customerId: cP.id });
    const revokedDuring = await factories.license(api, sub.id, { customerId: cP.id });
    const timedLicense = await factories.license(api, timed.id, { customerId: cP.id }); // no subscription
    await factories.license(api, sub.id, { customerId: vendorCustomer.id }); // no partner
    assert.equal(ended.expiresAt.slice(0, 10), '2026-06-01');

    t.clock.set('2026-05-31T09:00:00.000Z');
    for (const l of [renewed, revokedBefore, revokedDuring]) await renew(l.id);
    // June 1: P's member sells one (soldBy P); Q's customer gets one from the vendor.
    t.clock.set('2026-06-01T08:00:00.000Z');
    const memberP = await partnerUser(P.id, 'partner-member');
    const sold = await (await signIn(memberP.email, memberP.password)).post('/v1/licenses', { policyId: sub.id, customerId: cP.id });
    assert.equal(sold.status, 201, sold.raw);
    assert.equal(sold.body.soldBy, P.id);
    const ofQ = await factories.license(api, sub.id, { customerId: cQ.id });
    t.clock.set('2026-06-10T08:00:00.000Z');
    assert.equal((await api.post(`/v1/licenses/${revokedBefore.id}/actions/revoke`, {})).status, 200);
    t.clock.set('2026-06-15T12:00:00.000Z');
    assert.equal((await api.post(`/v1/licenses/${revokedDuring.id}/actions/revoke`, {})).status, 200);
    t.clock.set('2026-06-20T08:00:00.000Z');
    const later = await factories.license(api, sub.id, { customerId: cP.id }); // starts after the day
    t.clock.set('2026-06-25T08:00:00.000Z');
    await renew(ofQ.id);

    const mine = (body: any) => body.partners.filter((p: any) => p.partnerId === P.id || p.partnerId === Q.id);
    const active = await api.get('/v1/reports/partners/active-subscriptions?day=2026-06-15');
    assert.equal(active.status, 200, active.raw);
    assert.equal(active.body.day, '2026-06-15');
    const [rowP, rowQ] = [P, Q].map((x) => mine(active.body).find((p: any) => p.partnerId === x.id));
    assert.deepEqual(rowP.licenses.map((l: any) => l.licenseId), [renewed.id, revokedDuring.id, sold.body.id].sort());
    assert.equal(rowP.activeSubscriptions, 3);
    assert.equal(rowP.partnerName, P.name);
    const soldLine = rowP.licenses.find((l: any) => l.licenseId === sold.body.id);
    assert.equal(soldLine.creditedAs, 'sold');
    assert.equal(rowP.licenses.find((l: any) => l.licenseId === renewed.id).creditedAs, 'customer');
    assert.equal(soldLine.customerName, cP.name);
    assert.equal(soldLine.productName, product.name);
    assert.equal(soldLine.policyId, sub.id);
    assert.equal(soldLine.termMonths, 1);
    assert.equal(soldLine.price, 1000);
    assert.equal(soldLine.currency, 'EUR');
    assert.deepEqual(rowQ.licenses.map((l: any) => l.licenseId), [ofQ.id]);
    for (const absent of [ended.id, revokedBefore.id, timedLicense.id, later.id]) {
      assert.ok(!active.body.partners.some((p: any) => p.licenses.some((l: any) => l.licenseId === absent)), absent);
    }
    // The day after the first term: ended still absent; the day before the revocation, it counts.
    const june9 = await api.get(`/v1/reports/partners/active-subscriptions?day=2026-06-09&partnerId=${P.id}`);
    assert.equal(june9.status, 200, june9.raw);
    assert.deepEqual(june9.body.partners.map((p: any) => p.partnerId), [P.id]);
    assert.deepEqual(june9.body.partners[0].licenses.map((l: any) => l.licenseId), [renewed.id, revokedBefore.id, revokedDuring.id, sold.body.id].sort());
    const may31 = await api.get(`/v1/reports/partners/active-subscriptions?day=2026-05-31&partnerId=${P.id}`);
    assert.deepEqual(may31.body.partners[0].licenses.map((l: any) => l.licenseId), [renewed.id, ended.id, revokedBefore.id, revokedDuring.id].sort());
    const april = await api.get(`/v1/reports/partners/active-subscriptions?day=2026-04-30&partnerId=${P.id}`);
    assert.equal(april.body.partners[0].activeSubscriptions, 0);

    // CSV: a header and one line per license.
    const csv = await api.get(`/v1/reports/partners/active-subscriptions/export?day=2026-06-15&partnerId=${P.id}`);
    assert.equal(csv.status, 200, csv.raw);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.raw.trimEnd().split('\r\n');
    assert.equal(lines[0], 'day,partner_id,partner_name,license_id,customer_id,customer_name,product_code,product_name,policy_id,type,credited_as,term,term_starts_at,expires_at,price,currency,suspended');
    assert.equal(lines.length, 4);
    assert.ok(lines.some((l) => l.startsWith(`2026-06-15,${P.id},`) && l.includes(`,${sold.body.id},`) && l.includes(',sold,1 months,') && l.includes(',10.00,EUR,false')), csv.raw);

    // Activity: created and renewed per partner in a period (both days included).
    const may = await api.get(`/v1/reports/partners/activity?from=2026-05-01&to=2026-05-31`);
    assert.equal(may.status, 200, may.raw);
    const mayP = may.body.partners.find((p: any) => p.partnerId === P.id);
    const mayQ = may.body.partners.find((p: any) => p.partnerId === Q.id);
    assert.deepEqual([mayP.licensesCreated, mayP.trialsCreated, mayP.renewals], [5, 0, 3]);
    assert.deepEqual(mayP.renewalAmounts.map((a: any) => a.currency), ['EUR']);
    assert.deepEqual([mayQ.licensesCreated, mayQ.renewals], [0, 0]);
    const june = await api.get(`/v1/reports/partners/activity?from=2026-06-01&to=2026-06-30`);
    const juneP = june.body.partners.find((p: any) => p.partnerId === P.id);
    const juneQ = june.body.partners.find((p: any) => p.partnerId === Q.id);
    assert.deepEqual([juneP.licensesCreated, juneP.renewals], [2, 0]);
    assert.deepEqual([juneQ.licensesCreated, juneQ.renewals], [1, 1]);
    const oneDay = await api.get(`/v1/reports/partners/activity?from=2026-05-31&to=2026-05-31&partnerId=${P.id}`);
    assert.deepEqual([oneDay.body.partners[0].licensesCreated, oneDay.body.partners[0].renewals], [0, 3]);
    const activityCsv = await api.get(`/v1/reports/partners/activity/export?from=2026-05-01&to=2026-05-31&partnerId=${P.id}`);
    assert.equal(activityCsv.status, 200, activityCsv.raw);
    const activityLines = activityCsv.raw.trimEnd().split('\r\n');
    assert.equal(activityLines[0], 'from,to,partner_id,partner_name,licenses_created,trials_created,renewals,renewal_amounts');
    assert.equal(activityLines[1], `2026-05-01,2026-05-31,${P.id},${P.name},5,0,3,EUR 30.00`);

    // A partner admin: its own partner only, whatever it asks; another partner's id is 404.
    const adminP = await partnerUser(P.id, 'partner-admin');
    const asAdminP = await signIn(adminP.email, adminP.password);
    const own = await asAdminP.get('/v1/reports/partners/active-subscriptions?day=2026-06-15');
    assert.equal(own.status, 200, own.raw);
    assert.deepEqual(own.body.partners.map((p: any) => p.partnerId), [P.id]);
    assert.equal(own.body.partners[0].activeSubscriptions, 3);
    assert.equal((await asAdminP.get(`/v1/reports/partners/active-subscriptions?day=2026-06-15&partnerId=${Q.id}`)).status, 404);
    assert.equal((await asAdminP.get(`/v1/reports/partners/activity/export?from=2026-06-01&to=2026-06-30&partnerId=${Q.id}`)).status, 404);
    const ownActivity = await asAdminP.get('/v1/reports/partners/activity?from=2026-06-01&to=2026-06-30');
    assert.deepEqual(ownActivity.body.partners.map((p: any) => [p.partnerId, p.licensesCreated, p.renewals]), [[P.id, 2, 0]]);
    const adminQ = await partnerUser(Q.id, 'partner-admin');
    const asAdminQ = await signIn(adminQ.email, adminQ.password);
    const ownQ = await asAdminQ.get('/v1/reports/partners/active-subscriptions/export?day=2026-06-15');
    assert.equal(ownQ.status, 200);
    assert.ok(!ownQ.raw.includes(P.id) && !ownQ.raw.includes(renewed.id), 'B never sees A');
    // A partner member and customers: no report permission.
    assert.equal((await (await signIn(memberP.email, memberP.password)).get('/v1/reports/partners/active-subscriptions?day=2026-06-15')).status, 403);
    const customerAdmin = await factories.signedInUser(api, t.app, 'customer-admin', cP.id);
    assert.equal((await client(t.app, customerAdmin.token).get('/v1/reports/partners/activity?from=2026-06-01&to=2026-06-30')).status, 403);
    assert.equal((await api.get('/v1/reports/partners/activity?from=2026-06-01&to=2026-06-30&partnerId=ptn_nope')).status, 404);

    // Bad dates: 400, never 500.
    for (const q of ['day=2026-02-30', 'day=2026-6-15', 'day=yesterday', 'day=2026-06-15T00:00:00Z', '']) {
      const res = await api.get(`/v1/reports/partners/active-subscriptions?${q}`);
      assert.equal(res.status, 400, `${q}: ${res.raw}`);
    }
    for (const q of ['from=2026-06-02&to=2026-06-01', 'from=2026-13-01&to=2026-12-31', 'from=2026-06-01', 'from=2026-06-01&to=2026-06-31']) {
      const res = await api.get(`/v1/reports/partners/activity?${q}`);
      assert.equal(res.status, 400, `${q}: ${res.raw}`);
    }
  });
});
