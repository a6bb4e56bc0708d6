import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Answer, type Client } from '../../testing/harness.js';

/**
 * Issue 14, partner writes: each write a partner makes needs its right on the product at hand (403 FORBIDDEN
 * naming the right), writes no right covers are refused, another partner's records are not found, a
 * partner reads its own customers' events, and staff filter licenses, orders and renewals by partner.
 */
forEachDialect('partner rights on writes', (dialect) => {
  const ctx = useTestApp(dialect);
  let api: Client;
  let seq = 0;
  const unique = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

  // Product X is in group G (granted to the partners); product Y is in group H (granted to nobody).
  let X: any;
  let Y: any;
  let timedX: any;
  let subX: any;
  let paidX: any;
  let timedY: any;
  let G: any;
  const ALL = ['trials:create', 'licenses:create', 'licenses:extend', 'licenses:suspend', 'licenses:revoke', 'subscriptions:cancel', 'customers:create', 'downloads'];

  before(async () => {
    api = ctx.api;
    X = await factories.product(api);
    Y = await factories.product(api);
    timedX = await factories.policy(api, X.id, 'timed', { durationDays: 365 });
    subX = await factories.policy(api, X.id, 'subscription', { price: 12000, currency: 'EUR' });
    await factories.policy(api, X.id, 'trial');
    paidX = timedX;
    timedY = await factories.policy(api, Y.id, 'timed', { durationDays: 365 });
    G = (await api.post('/v1/product-groups', { name: unique('G'), productIds: [X.id] })).body;
    assert.ok(G.id);
    assert.equal((await api.post('/v1/product-groups', { name: unique('H'), productIds: [Y.id] })).status, 201);
  });

  async function partner(rights: string[]) {
    const res = await api.post('/v1/partners', { name: unique('Partner'), grants: [{ productGroupId: G.id, rights }] });
    assert.equal(res.status, 201, res.raw);
    const customer = await factories.customer(api, { partnerId: res.body.id });
    const email = `${unique('pu')}@example.com`;
    const password = 'correct horse battery';
    assert.equal((await api.post('/v1/users', { email, password, role: 'partner-admin', partnerId: res.body.id })).status, 201);
    const signIn = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password });
    assert.equal(signIn.status, 200, signIn.raw);
    return { partner: res.body, customer, api: client(ctx.t.app, signIn.body.token as string) };
  }

  const forbidden = (res: Answer, right: string | null, what: string) => {
    assert.equal(res.status, 403, `${what}: ${res.status} ${res.raw.slice(0, 300)}`);
    assert.equal(res.body.error.code, 'FORBIDDEN', what);
    if (right) assert.ok(res.body.error.message.includes(right), `${what}: the message names ${right}: ${res.body.error.message}`);
  };

  const staffTrial = async (customerId: string) => {
    const res = await api.post('/v1/licenses/trials', { productId: X.id, customerId, sendEmail: false });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };

  test('a partner with only licenses:create creates licenses but cannot extend, suspend, revoke, cancel, trial or edit (403 naming the right)', async () => {
    const N = await partner(['licenses:create', 'customers:create']);
    const created = await N.api.post('/v1/licenses', { policyId: timedX.id, customerId: N.customer.id });
    assert.equal(created.status, 201, created.raw);
    assert.equal(created.body.soldBy, N.partner.id);
    const license = created.body;
    const sub = await factories.license(api, subX.id, { customerId: N.customer.id });
    const trial = await staffTrial(N.customer.id);

    const cases: Array<[string, string, unknown, string | null]> = [
      ['extend', `/v1/licenses/${license.id}/actions/extend`, { days: 30 }, 'licenses:extend'],
      ['renew', `/v1/licenses/${license.id}/actions/renew`, undefined, 'licenses:extend'],
      ['suspend', `/v1/licenses/${license.id}/actions/suspend`, undefined, 'licenses:suspend'],
      ['revoke', `/v1/licenses/${license.id}/actions/revoke`, undefined, 'licenses:revoke'],
      ['cancel', `/v1/licenses/${sub.id}/actions/cancel-subscription`, {}, 'subscriptions:cancel'],
      ['resume', `/v1/licenses/${sub.id}/actions/resume-subscription`, undefined, 'subscriptions:cancel'],
      ['renew subscription', `/v1/licenses/${sub.id}/actions/renew-subscription`, {}, 'licenses:extend'],
      ['create trial', '/v1/licenses/trials', { productId: X.id, customerId: N.customer.id, sendEmail: false }, 'trials:create'],
      ['extend trial', `/v1/licenses/${trial.id}/actions/extend-trial`, {}, 'trials:create'],
      ['convert trial', `/v1/licenses/${trial.id}/actions/convert-trial`, { policyId: paidX.id }, 'trials:create'],
      // No partner right covers these at all.
      ['add features', `/v1/licenses/${license.id}/actions/add-features`, { features: ['x'] }, null],
      ['change policy', `/v1/licenses/${license.id}/actions/change-policy`, { policyId: paidX.id }, null],
      ['send key', `/v1/licenses/${license.id}/actions/send-key`, undefined, null],
      ['reset machines', `/v1/licenses/${license.id}/actions/reset-machines`, undefined, null],
      ['allocate', `/v1/licenses/${license.id}/allocation`, {}, null],
      ['order', '/v1/orders', { externalId: unique('o'), customer: { email: N.customer.email }, items: [{ policyId: timedX.id }], sendEmail: false }, null],
    ];
    for (const [what, url, body, right] of cases) forbidden(await N.api.post(url, body), right, what);
    forbidden(await N.api.patch(`/v1/licenses/${license.id}`, { notes: 'mine now' }), null, 'PATCH license');
    forbidden(await N.api.get(`/v1/licenses/${license.id}/key`), null, 'reveal key');
    // Nothing changed.
    const after = (await api.get(`/v1/licenses/${license.id}`)).body;
    assert.equal(after.status, 'active');
    assert.equal(after.expiresAt, license.expiresAt);
    assert.equal((await api.get(`/v1/licenses/${sub.id}`)).body.subscription.cancelledAt, null);
    assert.equal((await api.get(`/v1/licenses/${trial.id}`)).body.type, 'trial');
    // A product outside its groups: its policies are not found, so no license either.
    assert.equal((await N.api.get(`/v1/policies/${timedY.id}`)).status, 404);
    const outside = await N.api.post('/v1/licenses', { policyId: timedY.id, customerId: N.customer.id });
    assert.ok(outside.status === 404 || outside.status === 403, outside.raw);
  });

  test('with the rights a partner extends, renews, suspends, reinstates, cancels, resumes, trials and revokes; still no PATCH', async () => {
    const F = await partner(ALL);
    const license = (await F.api.post('/v1/licenses', { policyId: timedX.id, customerId: F.customer.id })).body;
    assert.ok(license.id);
    const ok = async (res: Answer, what: string) => {
      assert.ok(res.status >= 200 && res.status < 300, `${what}: ${res.status} ${res.raw.slice(0, 300)}`);
      return res.body;
    };
    const extended = await ok(await F.api.post(`/v1/licenses/${license.id}/actions/extend`, { days: 30 }), 'extend');
    assert.ok(extended.expiresAt > license.expiresAt);
    await ok(await F.api.post(`/v1/licenses/${license.id}/actions/renew`), 'renew');
    assert.equal((await ok(await F.api.post(`/v1/licenses/${license.id}/actions/suspend`), 'suspend')).status, 'suspended');
    assert.equal((await ok(await F.api.post(`/v1/licenses/${license.id}/actions/reinstate`), 'reinstate')).status, 'active');
    const sub = await factories.license(api, subX.id, { customerId: F.customer.id });
    assert.ok((await ok(await F.api.post(`/v1/licenses/${sub.id}/actions/cancel-subscription`, {}), 'cancel')).subscription.cancelledAt);
    assert.equal((await ok(await F.api.post(`/v1/licenses/${sub.id}/actions/resume-subscription`), 'resume')).subscription.cancelledAt, null);
    await ok(await F.api.post(`/v1/licenses/${sub.id}/actions/renew-subscription`, {}), 'renew subscription');
    // Staff-only overrides stay staff-only.
    forbidden(await F.api.post(`/v1/licenses/${sub.id}/actions/cancel-subscription`, { override: true }), null, 'cancel with override');
    const trial = await ok(await F.api.post('/v1/licenses/trials', { productId: X.id, customerId: F.customer.id, sendEmail: false }), 'create trial');
    assert.equal(trial.soldBy, F.partner.id);
    await ok(await F.api.post(`/v1/licenses/${trial.id}/actions/extend-trial`, {}), 'extend trial');
    assert.equal((await ok(await F.api.post(`/v1/licenses/${trial.id}/actions/convert-trial`, { policyId: paidX.id }), 'convert trial')).policyId, paidX.id);
    assert.equal((await ok(await F.api.post(`/v1/licenses/${license.id}/actions/revoke`), 'revoke')).status, 'revoked');
    forbidden(await F.api.patch(`/v1/licenses/${sub.id}`, { notes: 'x' }), null, 'PATCH license');
    forbidden(await F.api.post(`/v1/licenses/${sub.id}/actions/add-seats`, { seats: 1 }), null, 'add seats');

    // Its own customer's license of a product outside its groups: never changed (not found, or refused naming the right).
    const yLicense = await factories.license(api, timedY.id, { customerId: F.customer.id });
    for (const [url, body] of [
      [`/v1/licenses/${yLicense.id}/actions/extend`, { days: 5 }],
      [`/v1/licenses/${yLicense.id}/actions/suspend`, undefined],
      [`/v1/licenses/${yLicense.id}/actions/revoke`, undefined],
    ] as const) {
      const res = await F.api.post(url, body);
      assert.ok(res.status === 404 || res.status === 403, `${url}: ${res.status} ${res.raw}`);
    }
    assert.equal((await api.get(`/v1/licenses/${yLicense.id}`)).body.status, 'active');

    // Partner B's customer's records are not found for F, whatever its rights.
    const B = await partner(ALL);
    const bLicense = await factories.license(api, timedX.id, { customerId: B.customer.id });
    const bSub = await factories.license(api, subX.id, { customerId: B.customer.id });
    const bTrial = await staffTrial(B.customer.id);
    for (const [url, body] of [
      [`/v1/licenses/${bLicense.id}/actions/extend`, { days: 5 }],
      [`/v1/licenses/${bLicense.id}/actions/renew`, undefined],
      [`/v1/licenses/${bLicense.id}/actions/suspend`, undefined],
      [`/v1/licenses/${bLicense.id}/actions/revoke`, undefined],
      [`/v1/licenses/${bSub.id}/actions/cancel-subscription`, {}],
      [`/v1/licenses/${bSub.id}/actions/renew-subscription`, {}],
      [`/v1/licenses/${bTrial.id}/actions/extend-trial`, {}],
      [`/v1/licenses/${bTrial.id}/actions/convert-trial`, { policyId: paidX.id }],
    ] as const) {
      const res = await F.api.post(url, body);
      assert.equal(res.status, 404, `${url}: ${res.status} ${res.raw}`);
    }
    const trialForB = await F.api.post('/v1/licenses/trials', { productId: X.id, customerId: B.customer.id, sendEmail: false });
    assert.equal(trialForB.status, 404, trialForB.raw);
    assert.equal((await api.get(`/v1/licenses/${bLicense.id}`)).body.status, 'active');
  });

  test('concurrent partner suspensions and revocations on one license: one state, no 5xx', async () => {
    const F = await partner(ALL);
    const license = await factories.license(api, timedX.id, { customerId: F.customer.id });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => F.api.post(`/v1/licenses/${license.id}/actions/${i % 2 === 0 ? 'suspend' : 'revoke'}`)),
    );
    for (const res of answers) assert.ok(res.status < 500, `${res.status} ${res.raw}`);
    assert.equal((await api.get(`/v1/licenses/${license.id}`)).body.status, 'revoked');
  });

  test("a partner reads its own customers' events only, without staff notes", async () => {
    const F = await partner(ALL);
    const B = await partner(ALL);
    const mine = await factories.license(api, timedX.id, { customerId: F.customer.id });
    const theirs = await factories.license(api, timedX.id, { customerId: B.customer.id });
    assert.equal((await api.patch(`/v1/licenses/${mine.id}`, { notes: 'staff only note' })).status, 200);
    assert.equal((await api.post(`/v1/licenses/${theirs.id}/actions/suspend`)).status, 200);
    assert.equal((await F.api.post(`/v1/licenses/${mine.id}/actions/suspend`)).status, 200);
    const events = (await F.api.get('/v1/events?limit=100')).body.data as any[];
    assert.ok(events.length > 0);
    for (const e of events) assert.equal(e.customerId, F.customer.id, `${e.action} of ${e.customerId}`);
    const actions = events.filter((e) => e.target.id === mine.id).map((e) => e.action);
    assert.ok(actions.includes('license.created') && actions.includes('license.suspended') && actions.includes('license.updated'), actions.join());
    assert.ok(!JSON.stringify(events).includes('staff only note'));
    assert.ok(!JSON.stringify(events).includes(theirs.id));
    // Filtering for another partner's customer gives nothing.
    assert.deepEqual((await F.api.get(`/v1/events?customerId=${B.customer.id}`)).body.data, []);
    // Staff still see the note.
    assert.ok(JSON.stringify((await api.get(`/v1/events?targetId=${mine.id}`)).body).includes('staff only note'));
  });

  test('a partner picks policies of its groups only', async () => {
    const F = await partner(['licenses:create']);
    const list = (await F.api.get('/v1/policies?limit=100')).body.data as any[];
    assert.ok(list.length >= 3);
    for (const p of list) assert.equal(p.productId, X.id);
    assert.equal((await F.api.get(`/v1/policies/${timedX.id}`)).status, 200);
    assert.equal((await F.api.get(`/v1/policies/${timedY.id}`)).status, 404);
    forbidden(await F.api.patch(`/v1/policies/${timedX.id}`, { name: 'mine' }), null, 'update policy');
  });

  test('download links: with the downloads right for its products, else 403; other products 404', async () => {
    const withRight = await partner(['downloads']);
    const without = await partner(['licenses:create']);
    const release = (await api.post('/v1/releases', { productId: X.id, version: `1.0.${seq++}` })).body;
    assert.equal((await api.post(`/v1/releases/${release.id}/actions/publish`)).status, 200);
    const artifact = await api.call('PUT', `/v1/releases/${release.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=${unique('a')}.zip`, Buffer.from('bits'), { 'content-type': 'application/octet-stream' });
    assert.equal(artifact.status, 201, artifact.raw);
    const link = await withRight.api.post(`/v1/artifacts/${artifact.body.id}/download-link`);
    assert.equal(link.status, 200, link.raw);
    assert.ok(link.body.url);
    forbidden(await without.api.post(`/v1/artifacts/${artifact.body.id}/download-link`), 'downloads', 'download link without the right');
    const yRelease = (await api.post('/v1/releases', { productId: Y.id, version: `1.0.${seq++}` })).body;
    assert.equal((await api.post(`/v1/releases/${yRelease.id}/actions/publish`)).status, 200);
    const yArtifact = await api.call('PUT', `/v1/releases/${yRelease.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=${unique('y')}.zip`, Buffer.from('bits'), { 'content-type': 'application/octet-stream' });
    assert.equal(yArtifact.status, 201, yArtifact.raw);
    assert.equal((await withRight.api.post(`/v1/artifacts/${yArtifact.body.id}/download-link`)).status, 404);
  });

  test('staff filter licenses by soldBy and partnerId, orders and renewals by partnerId', async () => {
    const F = await partner(ALL);
    const B = await partner(ALL);
    const sold = [(await F.api.post('/v1/licenses', { policyId: timedX.id, customerId: F.customer.id })).body, (await F.api.post('/v1/licenses', { policyId: timedX.id })).body];
    for (const l of sold) assert.equal(l.soldBy, F.partner.id);
    const vendorSold = await factories.license(api, subX.id, { customerId: F.customer.id });
    const bLicense = await factories.license(api, timedX.id, { customerId: B.customer.id });
    const ids = async (url: string) => ((await api.get(url)).body.data as any[]).map((x) => x.id).sort();

    assert.deepEqual(await ids(`/v1/licenses?soldBy=${F.partner.id}&limit=100`), sold.map((l) => l.id).sort());
    assert.deepEqual(await ids(`/v1/licenses?partnerId=${F.partner.id}&limit=100`), [sold[0].id, vendorSold.id].sort());
    assert.deepEqual(await ids(`/v1/licenses?partnerId=${B.partner.id}&limit=100`), [bLicense.id]);
    assert.deepEqual(await ids('/v1/licenses?soldBy=ptn_nobody'), []);
    assert.equal((await api.get('/v1/licenses?soldBy=bad%20id')).status, 400);

    const order = async (email: string) => {
      const res = await api.post('/v1/orders', { externalId: unique('ord'), customer: { email }, items: [{ policyId: timedX.id }], sendEmail: false });
      assert.equal(res.status, 201, res.raw);
      return res.body;
    };
    const fOrder = await order(F.customer.email);
    const bOrder = await order(B.customer.email);
    assert.deepEqual(await ids(`/v1/orders?partnerId=${F.partner.id}`), [fOrder.id]);
    assert.deepEqual(await ids(`/v1/orders?partnerId=${B.partner.id}`), [bOrder.id]);

    assert.equal((await api.post(`/v1/licenses/${vendorSold.id}/actions/renew-subscription`, {})).status, 200);
    const renewals = (await api.get(`/v1/renewals?partnerId=${F.partner.id}`)).body.data as any[];
    assert.deepEqual(renewals.map((r) => r.licenseId), [vendorSold.id]);
    assert.deepEqual((await api.get(`/v1/renewals?partnerId=${B.partner.id}`)).body.data, []);
    const csv = await api.get(`/v1/renewals/export?partnerId=${F.partner.id}`);
    assert.equal(csv.status, 200);
    assert.ok(csv.raw.includes(vendorSold.id));

    // A partner naming another partner in the filter still sees only its own.
    assert.deepEqual(((await F.api.get(`/v1/licenses?partnerId=${B.partner.id}`)).body.data as any[]).length, 0);
    assert.deepEqual(((await F.api.get(`/v1/orders?partnerId=${B.partner.id}`)).body.data as any[]).length, 0);
  });
});
