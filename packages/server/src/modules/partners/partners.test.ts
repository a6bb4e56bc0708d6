import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';
import { assertPartnerRight, SYSTEM_ACTOR, type Actor, type PartnerRight } from '../../http/access.js';
import { AppError } from '../../http/errors.js';

test('assertPartnerRight: a partner needs the right on the product; others pass', () => {
  const rights = new Map<string, Set<PartnerRight>>([['prod_a', new Set<PartnerRight>(['licenses:create', 'trials:create'])]]);
  const partner: Actor = { type: 'user', id: 'usr_p', role: 'partner-member', label: 'p@example.com', scope: { partnerId: 'ptn_1', productIds: ['prod_a'], partnerRights: rights } };
  assert.doesNotThrow(() => assertPartnerRight(partner, 'prod_a', 'licenses:create'));
  for (const [productId, right] of [['prod_a', 'licenses:revoke'], ['prod_b', 'licenses:create']] as const) {
    assert.throws(
      () => assertPartnerRight(partner, productId, right),
      (error: unknown) => error instanceof AppError && error.code === 'FORBIDDEN' && error.message.includes(right),
    );
  }
  // No rights map at all: refused too, never allowed by default.
  assert.throws(() => assertPartnerRight({ ...partner, scope: { partnerId: 'ptn_1' } }, 'prod_a', 'licenses:create'), AppError);
  assert.doesNotThrow(() => assertPartnerRight(SYSTEM_ACTOR, 'prod_b', 'licenses:revoke'));
  assert.doesNotThrow(() => assertPartnerRight({ ...partner, role: 'customer-admin', scope: { customerId: 'cus_1' } }, 'prod_b', 'licenses:revoke'));
});

forEachDialect('product groups and partners', (dialect) => {
  const ctx = useTestApp(dialect);
  let api: Client;
  before(() => {
    api = ctx.api;
  });

  test('product groups: CRUD, order by position then name, a product in two groups, unknown product 422', async () => {
    const [p1, p2, p3] = [await factories.product(api), await factories.product(api), await factories.product(api)];
    const b = await api.post('/v1/product-groups', { name: 'B group', productIds: [p1.id, p2.id], position: 1 });
    assert.equal(b.status, 201, b.raw);
    assert.match(b.body.id, /^pgrp_/);
    assert.deepEqual(b.body.productIds, [p1.id, p2.id].sort());
    const a = await api.post('/v1/product-groups', { name: 'A group', productIds: [p2.id, p2.id], position: 1 });
    assert.equal(a.status, 201, a.raw);
    assert.deepEqual(a.body.productIds, [p2.id], 'duplicates collapse; p2 is in two groups');
    const z = await api.post('/v1/product-groups', { name: 'Z first', productIds: [] });
    assert.equal(z.body.position, 0);
    const names = (await api.get('/v1/product-groups')).body.data.map((g: any) => g.name);
    assert.deepEqual(names.filter((n: string) => ['A group', 'B group', 'Z first'].includes(n)), ['Z first', 'A group', 'B group']);

    assert.equal((await api.post('/v1/product-groups', { name: 'A group', productIds: [] })).status, 409);
    const unknown = await api.post('/v1/product-groups', { name: 'Unknown', productIds: ['prod_nope'] });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'REFERENCE_NOT_FOUND');
    assert.equal((await api.post('/v1/product-groups', { name: 'x', productIds: [], extra: 1 })).status, 400);

    const updated = await api.patch(`/v1/product-groups/${b.body.id}`, { productIds: [p3.id], position: 0, name: 'B renamed' });
    assert.equal(updated.status, 200, updated.raw);
    assert.deepEqual(updated.body.productIds, [p3.id], 'productIds are replaced as a set');
    assert.equal((await api.patch(`/v1/product-groups/${b.body.id}`, { name: 'A group' })).status, 409);
    assert.equal((await api.get(`/v1/product-groups/${b.body.id}`)).body.name, 'B renamed');
    assert.equal((await api.patch(`/v1/product-groups/${b.body.id}`, { productIds: ['prod_nope'] })).status, 422);

    // Concurrent creations under one name: exactly one wins, the others are 409 (never a 500).
    const racers = await Promise.all(Array.from({ length: 8 }, () => api.post('/v1/product-groups', { name: 'Raced name', productIds: [p1.id] })));
    assert.deepEqual(racers.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);

    // Deleting a product takes it out of its groups.
    assert.equal((await api.delete(`/v1/products/${p3.id}`)).status, 204);
    assert.deepEqual((await api.get(`/v1/product-groups/${b.body.id}`)).body.productIds, []);

    assert.equal((await api.delete(`/v1/product-groups/${z.body.id}`)).status, 204);
    assert.equal((await api.get(`/v1/product-groups/${z.body.id}`)).status, 404);
    const events = (await api.get(`/v1/events?targetId=${b.body.id}`)).body.data.map((e: any) => e.action);
    assert.deepEqual(events.sort(), ['product_group.created', 'product_group.updated']);
  });

  test('partners: CRUD with grants; bad rights 400; unknown group 422; a group in use cannot be deleted', async () => {
    const product = await factories.product(api);
    const g1 = (await api.post('/v1/product-groups', { name: `G1 ${Date.now()}`, productIds: [product.id] })).body;
    const g2 = (await api.post('/v1/product-groups', { name: `G2 ${Date.now()}`, productIds: [] })).body;
    const created = await api.post('/v1/partners', {
      name: 'Resell GmbH',
      email: 'Sales@Resell.example',
      grants: [{ productGroupId: g1.id, rights: ['licenses:create', 'trials:create', 'licenses:create'] }],
    });
    assert.equal(created.status, 201, created.raw);
    assert.match(created.body.id, /^ptn_/);
    assert.equal(created.body.email, 'sales@resell.example');
    assert.deepEqual(created.body.grants, [{ productGroupId: g1.id, rights: ['trials:create', 'licenses:create'] }]);

    for (const rights of [[], ['licenses:delete'], ['']]) {
      const bad = await api.post('/v1/partners', { name: 'Bad', grants: [{ productGroupId: g1.id, rights }] });
      assert.equal(bad.status, 400, `${JSON.stringify(rights)}: ${bad.raw}`);
      assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    }
    const twice = await api.post('/v1/partners', { name: 'Twice', grants: [{ productGroupId: g1.id, rights: ['downloads'] }, { productGroupId: g1.id, rights: ['downloads'] }] });
    assert.equal(twice.status, 400);
    const unknown = await api.post('/v1/partners', { name: 'Unknown', grants: [{ productGroupId: 'pgrp_nope', rights: ['downloads'] }] });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'REFERENCE_NOT_FOUND');

    const updated = await api.patch(`/v1/partners/${created.body.id}`, { grants: [{ productGroupId: g2.id, rights: ['downloads'] }], email: null });
    assert.equal(updated.status, 200, updated.raw);
    assert.deepEqual(updated.body.grants, [{ productGroupId: g2.id, rights: ['downloads'] }]);
    assert.equal(updated.body.email, null);
    assert.deepEqual((await api.get(`/v1/partners/${created.body.id}`)).body.grants, updated.body.grants);
    assert.ok((await api.get('/v1/partners?q=resell')).body.data.some((p: any) => p.id === created.body.id));
    assert.equal((await api.get('/v1/partners/ptn_nope')).status, 404);

    // g2 is granted now: it cannot be deleted; g1 no longer is.
    const inUse = await api.delete(`/v1/product-groups/${g2.id}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'IN_USE');
    assert.equal((await api.delete(`/v1/product-groups/${g1.id}`)).status, 204);
    const actions = (await api.get(`/v1/events?targetId=${created.body.id}`)).body.data.map((e: any) => e.action);
    assert.deepEqual(actions.sort(), ['partner.created', 'partner.updated']);
  });

  /** Two partners with a group each, a customer of each, a vendor customer. */
  async function partnerWorld() {
    const mine = await factories.world(api, { durationDays: 365 });
    const theirs = await factories.world(api, { durationDays: 365 });
    const vendorOnly = await factories.world(api, { durationDays: 365 });
    const stamp = `${Date.now()}-${Math.random()}`;
    const gMine = (await api.post('/v1/product-groups', { name: `Mine ${stamp}`, productIds: [mine.product.id] })).body;
    const gTheirs = (await api.post('/v1/product-groups', { name: `Theirs ${stamp}`, productIds: [theirs.product.id] })).body;
    const P = (await api.post('/v1/partners', { name: 'P', grants: [{ productGroupId: gMine.id, rights: ['licenses:create', 'customers:create'] }] })).body;
    const Q = (await api.post('/v1/partners', { name: 'Q', grants: [{ productGroupId: gTheirs.id, rights: ['licenses:create', 'customers:create'] }] })).body;
    assert.equal((await api.patch(`/v1/customers/${mine.customer.id}`, { partnerId: P.id })).status, 200);
    assert.equal((await api.patch(`/v1/customers/${theirs.customer.id}`, { partnerId: Q.id })).status, 200);
    return { mine, theirs, vendorOnly, P, Q, gMine };
  }

  test('staff assign a customer to a partner; an unknown partner is 422', async () => {
    const { P, vendorOnly } = await partnerWorld();
    const unknown = await api.patch(`/v1/customers/${vendorOnly.customer.id}`, { partnerId: 'ptn_nope' });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'REFERENCE_NOT_FOUND');
    const assigned = await api.patch(`/v1/customers/${vendorOnly.customer.id}`, { partnerId: P.id });
    assert.equal(assigned.body.partnerId, P.id);
    const member = await partnerUser(P.id, 'partner-member');
    assert.equal((await client(ctx.t.app, member.token).get(`/v1/licenses/${vendorOnly.license.id}`)).status, 404, 'not a product of its groups');
    assert.equal((await client(ctx.t.app, member.token).get(`/v1/customers/${vendorOnly.customer.id}`)).status, 200);
    assert.equal((await api.patch(`/v1/customers/${vendorOnly.customer.id}`, { partnerId: null })).body.partnerId, null);
    assert.equal((await client(ctx.t.app, member.token).get(`/v1/customers/${vendorOnly.customer.id}`)).status, 404);
  });

  test('partner users: who may create which role, only for its own partner; sign-in and getMe', async () => {
    const { P, Q, mine } = await partnerWorld();
    const mk = (as: Client, body: Record<string, unknown>) => as.post('/v1/users', { email: `u-${Date.now()}-${Math.random()}@example.com`, password: 'correct horse battery', ...body });
    assert.equal((await mk(api, { role: 'partner-admin' })).status, 400, 'a partner role needs partnerId');
    assert.equal((await mk(api, { role: 'support', partnerId: P.id })).status, 400, 'partnerId with a staff role');
    assert.equal((await mk(api, { role: 'customer-admin', customerId: mine.customer.id, partnerId: P.id })).status, 400);
    assert.equal((await mk(api, { role: 'partner-admin', partnerId: P.id, customerId: mine.customer.id })).status, 400);
    const unknown = await mk(api, { role: 'partner-admin', partnerId: 'ptn_nope' });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'REFERENCE_NOT_FOUND');


    const adminP = await partnerUser(P.id, 'partner-admin');
    const memberP = await partnerUser(P.id, 'partner-member');
    const adminQ = await partnerUser(Q.id, 'partner-admin');
    assert.equal(adminP.user.kind, 'partner');
    assert.equal(adminP.user.partnerId, P.id);
    const asAdminP = client(ctx.t.app, adminP.token);
    const asMemberP = client(ctx.t.app, memberP.token);

    const me = await asAdminP.get('/v1/auth/me');
    assert.equal(me.status, 200, me.raw);
    assert.equal(me.body.actor.partnerId, P.id);
    assert.equal(me.body.actor.customerId, null);
    assert.deepEqual(me.body.actor.grantableRoles, ['partner-admin', 'partner-member']);
    assert.ok(me.body.actor.permissions.includes('users:write'));
    assert.deepEqual(me.body.staffRoles, ['owner', 'admin', 'support', 'sales', 'read-only']);
    assert.ok(!(await asMemberP.get('/v1/auth/me')).body.actor.permissions.includes('users:read'));

    // A partner admin creates users of its own partner, with partner roles only.
    const own = await mk(asAdminP, { role: 'partner-member', partnerId: P.id });
    assert.equal(own.status, 201, own.raw);
    assert.equal(own.body.partnerId, P.id);
    assert.equal((await mk(asAdminP, { role: 'partner-member', partnerId: Q.id })).status, 422, "another partner's user: as if it did not exist");
    assert.equal((await mk(asAdminP, { role: 'support' })).status, 403);
    assert.equal((await mk(asAdminP, { role: 'customer-admin', customerId: mine.customer.id })).status, 403);
    assert.equal((await mk(asMemberP, { role: 'partner-member', partnerId: P.id })).status, 403, 'a partner member has no users:write');

    // It lists and manages only its own partner's users.
    const listed = (await asAdminP.get('/v1/users?limit=100')).body.data;
    assert.ok(listed.length >= 3);
    for (const u of listed) assert.equal(u.partnerId, P.id);
    assert.equal((await asAdminP.get(`/v1/users/${adminQ.user.id}`)).status, 404);
    assert.equal((await asAdminP.patch(`/v1/users/${adminQ.user.id}`, { disabled: true })).status, 404);
    assert.equal((await asAdminP.patch(`/v1/users/${own.body.id}`, { role: 'support' })).status, 403);
    assert.equal((await asAdminP.patch(`/v1/users/${own.body.id}`, { disabled: true })).status, 200);
    // Staff cannot move a partner user to a staff role either.
    assert.equal((await api.patch(`/v1/users/${memberP.user.id}`, { role: 'read-only' })).status, 400);
    // No API tokens with a partner role (they would carry no partner).
    assert.equal((await api.post('/v1/tokens', { name: 'partner', role: 'partner-admin' })).status, 400);
  });

  test("a partner user reads its own partner and its grants (the partner face's rights), another partner never", async () => {
    const { P, Q, gMine } = await partnerWorld();
    for (const role of ['partner-admin', 'partner-member'] as const) {
      const asP = client(ctx.t.app, (await partnerUser(P.id, role)).token);
      const own = await asP.get(`/v1/partners/${P.id}`);
      assert.equal(own.status, 200, own.raw);
      assert.deepEqual(own.body.grants, [{ productGroupId: gMine.id, rights: ['licenses:create', 'customers:create'] }]);
      const other = await asP.get(`/v1/partners/${Q.id}`);
      assert.equal(other.status, 404, `${role}: another partner is as if it did not exist`);
      assert.equal(other.body.error.code, 'NOT_FOUND');
      const listed = await asP.get('/v1/partners?limit=100');
      assert.equal(listed.status, 200, listed.raw);
      assert.deepEqual(listed.body.data.map((p: any) => p.id), [P.id], `${role}: the list holds its own partner only`);
      assert.deepEqual((await asP.get(`/v1/partners?q=${encodeURIComponent(Q.name)}`)).body.data.filter((p: any) => p.id === Q.id), []);
      assert.equal((await asP.patch(`/v1/partners/${P.id}`, { name: 'Renamed' })).status, 403, 'reading is not writing');
    }
    // A customer user reads no partner, not even its organization's.
    const customer = await factories.customer(api, { partnerId: P.id });
    const { token } = await factories.signedInUser(api, ctx.t.app, 'customer-admin', customer.id);
    assert.equal((await client(ctx.t.app, token).get(`/v1/partners/${P.id}`)).status, 403);
  });

  test('a partner user sees only its own customers and the products of its groups', async () => {
    const { P, mine, theirs, vendorOnly } = await partnerWorld();
    const member = await partnerUser(P.id, 'partner-member');
    const asP = client(ctx.t.app, member.token);
    const customers = (await asP.get('/v1/customers?limit=100')).body.data;
    assert.deepEqual(customers.map((c: any) => c.id), [mine.customer.id]);
    assert.equal(customers[0].partnerId, P.id);
    for (const other of [theirs.customer.id, vendorOnly.customer.id]) assert.equal((await asP.get(`/v1/customers/${other}`)).status, 404);
    assert.equal((await asP.patch(`/v1/customers/${theirs.customer.id}`, { name: 'Mine now' })).status, 404);
    assert.equal((await asP.patch(`/v1/customers/${mine.customer.id}`, { partnerId: null })).status, 403, 'only staff assign a partner');

    const products = (await asP.get('/v1/products?limit=100')).body.data.map((p: any) => p.id);
    assert.deepEqual(products, [mine.product.id]);
    assert.equal((await asP.get(`/v1/products/${theirs.product.id}`)).status, 404);
    const groups = (await asP.get('/v1/product-groups')).body.data;
    assert.deepEqual(groups.map((g: any) => g.productIds), [[mine.product.id]]);

    const licenses = (await asP.get('/v1/licenses?limit=100')).body.data.map((l: any) => l.id);
    assert.deepEqual(licenses, [mine.license.id]);
    for (const other of [theirs.license.id, vendorOnly.license.id]) assert.equal((await asP.get(`/v1/licenses/${other}`)).status, 404);
    // Events: its own customers' only.
    const events = (await asP.get('/v1/events?limit=100')).body.data as any[];
    assert.ok(events.length > 0);
    for (const e of events) assert.equal(e.customerId, mine.customer.id, `${e.action} of ${e.customerId}`);

    // It creates a customer of its own, and a license for it: soldBy and createdBy recorded.
    const customer = await asP.post('/v1/customers', { name: 'New Co', email: `new-${Date.now()}@example.com` });
    assert.equal(customer.status, 201, customer.raw);
    assert.equal(customer.body.partnerId, P.id);
    const license = await asP.post('/v1/licenses', { policyId: mine.policy.id, customerId: customer.body.id });
    assert.equal(license.status, 201, license.raw);
    assert.equal(license.body.soldBy, P.id);
    assert.equal(license.body.createdBy, member.email);
    assert.equal((await asP.post('/v1/licenses', { policyId: theirs.policy.id, customerId: customer.body.id })).status, 404, "another group's policy");
    assert.equal((await asP.post('/v1/licenses', { policyId: mine.policy.id, customerId: theirs.customer.id })).status, 404, "another partner's customer");
    // Staff licenses carry no soldBy.
    const staffLicense = await factories.license(api, mine.policy.id, { customerId: mine.customer.id });
    assert.equal(staffLicense.soldBy, null);

    // Without the right on the product: 403 naming it.
    await api.patch(`/v1/partners/${P.id}`, { grants: [{ productGroupId: (await partnerGroupOf(P.id)), rights: ['trials:create'] }] });
    const refused = await asP.post('/v1/licenses', { policyId: mine.policy.id, customerId: customer.body.id });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'FORBIDDEN');
    assert.match(refused.body.error.message, /licenses:create/);
    const noCustomers = await asP.post('/v1/customers', { name: 'Nope', email: `nope-${Date.now()}@example.com` });
    assert.equal(noCustomers.status, 403);
    assert.match(noCustomers.body.error.message, /customers:create/);
  });

  async function partnerGroupOf(partnerId: string): Promise<string> {
    return (await api.get(`/v1/partners/${partnerId}`)).body.grants[0].productGroupId;
  }

  async function partnerUser(partnerId: string, role: 'partner-admin' | 'partner-member') {
    const email = `${role}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
    const password = 'correct horse battery';
    const res = await api.post('/v1/users', { email, password, role, partnerId });
    assert.equal(res.status, 201, res.raw);
    const signIn = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password });
    assert.equal(signIn.status, 200, signIn.raw);
    return { user: res.body, token: signIn.body.token as string, email, password };
  }
});
