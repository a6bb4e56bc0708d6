import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';

const code = (res: { body: any }) => res.body?.error?.code;

forEachDialect('contracts', (dialect) => {
  const ctx = useTestApp(dialect, { config: { alertEmails: ['ops@vendor.test'] } });
  let api: Client;
  before(() => {
    api = ctx.api;
  });

  /** A product with a timed policy (5 seats) and a customer organization with an admin and a member. */
  const org = async () => {
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { maxMachines: 5 });
    const customer = await factories.customer(api);
    const admin = await factories.signedInUser(api, ctx.t.app, 'customer-admin', customer.id);
    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id);
    return { product, policy, customer, admin: client(ctx.t.app, admin.token), adminEmail: admin.email, member: client(ctx.t.app, member.token) };
  };
  const contract = async (body: Record<string, unknown>) => {
    const res = await api.post('/v1/contracts', { unit: 'licenses', ...body });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };

  test('create, read, list by holder, update, cancel; events recorded', async () => {
    const { policy, customer } = await org();
    const created = await contract({ customerId: customer.id, policyId: policy.id, quantity: 10, endsAt: '2027-03-01T00:00:00.000Z' });
    assert.match(created.id, /^ctr_/);
    assert.deepEqual(
      { quantity: created.quantity, used: created.used, remaining: created.remaining, status: created.status, unit: created.unit },
      { quantity: 10, used: 0, remaining: 10, status: 'active', unit: 'licenses' },
    );
    assert.equal((await api.get(`/v1/contracts/${created.id}`)).body.id, created.id);
    const listed = await api.get(`/v1/contracts?customerId=${customer.id}`);
    assert.deepEqual(listed.body.data.map((c: any) => c.id), [created.id]);
    const raised = await api.patch(`/v1/contracts/${created.id}`, { quantity: 12, endsAt: null });
    assert.equal(raised.status, 200, raised.raw);
    assert.equal(raised.body.quantity, 12);
    assert.equal(raised.body.endsAt, null);
    const cancelled = await api.post(`/v1/contracts/${created.id}/actions/cancel`);
    assert.equal(cancelled.status, 200, cancelled.raw);
    assert.equal(cancelled.body.status, 'cancelled');
    assert.equal((await api.post(`/v1/contracts/${created.id}/actions/cancel`)).status, 409);
    assert.equal((await api.patch(`/v1/contracts/${created.id}`, { quantity: 20 })).status, 409);
    const events = await api.get(`/v1/events?targetId=${created.id}&limit=10`);
    assert.deepEqual(events.body.data.map((e: any) => e.action).sort(), ['contract.cancelled', 'contract.created', 'contract.updated']);
  });

  test('bad input is 4xx: two holders, no cover, unknown references', async () => {
    const { policy, customer } = await org();
    const bad = [
      [{ customerId: customer.id, policyId: policy.id, quantity: 0 }, 400, 'VALIDATION_FAILED'],
      [{ policyId: policy.id, quantity: 5 }, 400, 'VALIDATION_FAILED'],
      [{ customerId: customer.id, quantity: 5 }, 400, 'VALIDATION_FAILED'],
      [{ customerId: customer.id, partnerId: 'prt_x', policyId: policy.id, quantity: 5 }, 400, 'VALIDATION_FAILED'],
      [{ partnerId: 'ptn_nobody', policyId: policy.id, quantity: 5 }, 404, 'NOT_FOUND'],
      [{ customerId: customer.id, productGroupId: 'pgrp_nothing', quantity: 5 }, 404, 'NOT_FOUND'],
      [{ customerId: customer.id, policyId: policy.id, quantity: 5, endsAt: '2020-01-01T00:00:00.000Z' }, 400, 'VALIDATION_FAILED'],
      [{ customerId: 'cus_nobody', policyId: policy.id, quantity: 5 }, 404, 'NOT_FOUND'],
      [{ customerId: customer.id, policyId: 'pol_nothing', quantity: 5 }, 404, 'NOT_FOUND'],
      [{ customerId: customer.id, policyId: policy.id, quantity: 5, unit: 'boxes' }, 400, 'VALIDATION_FAILED'],
    ] as const;
    for (const [body, status, errorCode] of bad) {
      const res = await api.post('/v1/contracts', { unit: 'licenses', ...body });
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.raw}`);
      assert.equal(code(res), errorCode);
    }
    assert.equal((await api.get('/v1/contracts/ctr_nothing')).status, 404);
    assert.equal((await api.patch('/v1/contracts/ctr_nothing', { quantity: 3 })).status, 404);
  });

  test('drawing: licenses record their contract; wrong policy, wrong customer, ended and cancelled contracts are 422; quantity never below used', async () => {
    const { product, policy, customer } = await org();
    const other = await factories.customer(api);
    const otherPolicy = await factories.policy(api, product.id, 'perpetual');
    const c = await contract({ customerId: customer.id, policyId: policy.id, quantity: 3, endsAt: '2026-06-01T00:00:00.000Z' });
    const first = await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id });
    assert.equal(first.status, 201, first.raw);
    assert.equal(first.body.contractId, c.id);
    assert.equal((await api.get(`/v1/licenses/${first.body.id}`)).body.contractId, c.id);
    const wrongPolicy = await api.post('/v1/licenses', { policyId: otherPolicy.id, customerId: customer.id, contractId: c.id });
    assert.equal(wrongPolicy.status, 422, wrongPolicy.raw);
    assert.equal(code(wrongPolicy), 'CONTRACT_MISMATCH');
    const wrongCustomer = await api.post('/v1/licenses', { policyId: policy.id, customerId: other.id, contractId: c.id });
    assert.equal(code(wrongCustomer), 'CONTRACT_MISMATCH');
    const noCustomer = await api.post('/v1/licenses', { policyId: policy.id, contractId: c.id });
    assert.equal(code(noCustomer), 'CONTRACT_MISMATCH');
    assert.equal(code(await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: 'ctr_nothing' })), 'NOT_FOUND');
    assert.equal((await api.get(`/v1/contracts/${c.id}`)).body.used, 1, 'refused draws take nothing');

    // Revoking gives nothing back; the quantity cannot fall below what is drawn.
    await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id });
    await api.post(`/v1/licenses/${first.body.id}/actions/revoke`);
    const below = await api.patch(`/v1/contracts/${c.id}`, { quantity: 1 });
    assert.equal(below.status, 422, below.raw);
    assert.equal(code(below), 'QUOTA_BELOW_USED');
    assert.equal((await api.patch(`/v1/contracts/${c.id}`, { quantity: 2 })).body.remaining, 0);
    const exhausted = await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id });
    assert.equal(exhausted.status, 422);
    assert.equal(code(exhausted), 'QUOTA_EXHAUSTED');
    assert.equal(exhausted.body.error.details.remaining, 0);

    // Past its end date: ended.
    await api.patch(`/v1/contracts/${c.id}`, { quantity: 10 });
    ctx.t.clock.set('2026-06-02T00:00:00.000Z');
    try {
      const ended = await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id });
      assert.equal(code(ended), 'CONTRACT_ENDED');
      assert.equal((await api.get(`/v1/contracts/${c.id}`)).body.status, 'ended');
    } finally {
      ctx.t.clock.set('2026-03-01T12:00:00.000Z');
    }
    await api.post(`/v1/contracts/${c.id}/actions/cancel`);
    assert.equal(code(await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id })), 'CONTRACT_ENDED');
    // A customer with a contract cannot be deleted.
    assert.equal((await api.delete(`/v1/customers/${other.id}`)).status, 204);
    assert.notEqual((await api.delete(`/v1/customers/${customer.id}`)).status, 204);
  });

  test('a seats contract draws each license’s seats; a license without a seat limit cannot draw', async () => {
    const { policy, customer } = await org();
    const c = await contract({ customerId: customer.id, policyId: policy.id, unit: 'seats', quantity: 12 });
    assert.equal((await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id })).status, 201);
    assert.equal((await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id, maxMachines: 7 })).status, 201);
    assert.equal((await api.get(`/v1/contracts/${c.id}`)).body.used, 12);
    const unlimited = await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id, maxMachines: null });
    assert.equal(code(unlimited), 'CONTRACT_SEATS_REQUIRED');
    assert.equal(code(await api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id, maxMachines: 1 })), 'QUOTA_EXHAUSTED');
  });

  test('the race: 100 concurrent creations on a 20-license contract give exactly 20 licenses', async () => {
    const { policy, customer } = await org();
    const c = await contract({ customerId: customer.id, policyId: policy.id, quantity: 20 });
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id })),
    );
    const statuses: Record<string, number> = {};
    for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    assert.deepEqual(statuses, { 201: 20, 422: 80 }, JSON.stringify(statuses));
    for (const a of answers.filter((x) => x.status === 422)) assert.equal(code(a), 'QUOTA_EXHAUSTED');
    const after = (await api.get(`/v1/contracts/${c.id}`)).body;
    assert.equal(after.used, 20);
    assert.equal(after.status, 'exhausted');
    const rows = await ctx.t.deps.database.db.selectFrom('licenses').select((eb) => eb.fn.countAll<number>().as('n')).where('contract_id', '=', c.id).executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 20);
    // One alert each at 80% and 100%, whatever the concurrency.
    const events = (await api.get(`/v1/events?targetId=${c.id}&limit=100`)).body.data.map((e: any) => e.action);
    assert.equal(events.filter((a: string) => a === 'contract.quota_80').length, 1);
    assert.equal(events.filter((a: string) => a === 'contract.quota_100').length, 1);
    assert.equal(events.filter((a: string) => a === 'contract.drawn').length, 20);
  });

  test('alerts at 80% and 100%: once each, mailed to staff alert recipients and the holder’s admins; raising the quantity re-arms them', async () => {
    const { policy, customer, adminEmail } = await org();
    const c = await contract({ customerId: customer.id, policyId: policy.id, quantity: 5 });
    const mails = async () => (await api.get(`/v1/outbox?template=contract.quota&limit=100`)).body.data.filter((m: any) => JSON.stringify(m).includes(c.id) || m.customerId === customer.id);
    const draw = () => api.post('/v1/licenses', { policyId: policy.id, customerId: customer.id, contractId: c.id });
    for (let i = 0; i < 3; i++) assert.equal((await draw()).status, 201);
    assert.equal((await mails()).length, 0, 'no alert at 60%');
    await draw(); // 80%
    let sent = await mails();
    assert.deepEqual(sent.map((m: any) => m.to).flat().sort(), [adminEmail.toLowerCase(), 'ops@vendor.test'].sort());
    assert.ok((await api.get(`/v1/contracts/${c.id}`)).body.alerted80At);
    await draw(); // 100%
    sent = await mails();
    assert.equal(sent.length, 4);
    assert.equal(code(await draw()), 'QUOTA_EXHAUSTED');
    assert.equal((await mails()).length, 4, 'a refused draw alerts nobody');
    // Raised to 10: 50% used, both alerts re-armed; at 8 the 80% alert goes again.
    const raised = (await api.patch(`/v1/contracts/${c.id}`, { quantity: 10 })).body;
    assert.equal(raised.alerted80At, null);
    assert.equal(raised.alerted100At, null);
    for (let i = 0; i < 3; i++) await draw();
    assert.equal((await mails()).length, 6);
  });

  test('delegated creation: a customer admin creates licenses from its own contract only; members cannot', async () => {
    const mine = await org();
    const theirs = await org();
    const c = await contract({ customerId: mine.customer.id, policyId: mine.policy.id, quantity: 2 });
    const cTheirs = await contract({ customerId: theirs.customer.id, policyId: theirs.policy.id, quantity: 5 });

    // The holder's admin reads its contract with what remains; the other organization's is not found.
    assert.equal((await mine.admin.get(`/v1/contracts/${c.id}`)).body.remaining, 2);
    assert.deepEqual((await mine.admin.get('/v1/contracts')).body.data.map((x: any) => x.id), [c.id]);
    assert.equal((await mine.admin.get(`/v1/contracts/${cTheirs.id}`)).status, 404);
    assert.equal((await mine.admin.get(`/v1/contracts?customerId=${theirs.customer.id}`)).body.data.length, 0);
    assert.equal((await mine.member.get(`/v1/contracts/${c.id}`)).status, 403);
    assert.equal((await mine.admin.patch(`/v1/contracts/${c.id}`, { quantity: 100 })).status, 403);

    const created = await mine.admin.post('/v1/licenses', { policyId: mine.policy.id, contractId: c.id, name: 'Design team' });
    assert.equal(created.status, 201, created.raw);
    assert.equal(created.body.customerId, mine.customer.id, 'no customerId: its own organization');
    assert.equal(created.body.maxMachines, 5, "the policy's terms");
    assert.ok(created.body.key);
    const explicit = await mine.admin.post('/v1/licenses', { policyId: mine.policy.id, customerId: mine.customer.id, contractId: c.id });
    assert.equal(explicit.status, 201, explicit.raw);
    const exceeded = await mine.admin.post('/v1/licenses', { policyId: mine.policy.id, contractId: c.id });
    assert.equal(exceeded.status, 422);
    assert.equal(code(exceeded), 'QUOTA_EXHAUSTED');

    const refused: Array<[Record<string, unknown>, number, string]> = [
      [{ policyId: mine.policy.id }, 403, 'FORBIDDEN'],
      [{ policyId: mine.policy.id, customerId: theirs.customer.id, contractId: c.id }, 403, 'FORBIDDEN'],
      [{ policyId: theirs.policy.id, contractId: cTheirs.id }, 404, 'NOT_FOUND'],
      [{ policyId: theirs.policy.id, customerId: theirs.customer.id, contractId: cTheirs.id }, 403, 'FORBIDDEN'],
      [{ policyId: mine.policy.id, contractId: c.id, maxMachines: 1000 }, 403, 'FORBIDDEN'],
      [{ policyId: mine.policy.id, contractId: c.id, expiresAt: null }, 403, 'FORBIDDEN'],
      [{ policyId: mine.policy.id, contractId: c.id, notes: 'x' }, 403, 'FORBIDDEN'],
    ];
    for (const [body, status, errorCode] of refused) {
      const res = await mine.admin.post('/v1/licenses', body);
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${res.raw}`);
      assert.equal(code(res), errorCode);
    }
    const noContract = await mine.admin.post('/v1/licenses', { policyId: mine.policy.id });
    assert.match(noContract.body.error.message, /only from their organization's contract/);
    const member = await mine.member.post('/v1/licenses', { policyId: mine.policy.id, contractId: c.id });
    assert.equal(member.status, 403);
    assert.equal(code(member), 'FORBIDDEN');
    // Nothing of the other organization was drawn, and the admin's licenses are its organization's.
    assert.equal((await api.get(`/v1/contracts/${cTheirs.id}`)).body.used, 0);
    const license = await api.get(`/v1/licenses/${created.body.id}`);
    assert.equal(license.body.contractId, c.id);
    const event = (await api.get(`/v1/licenses/${created.body.id}/events`)).body.data.find((e: any) => e.action === 'license.created');
    assert.equal(event.actor.type, 'user');
  });

  test("a partner's contract on a product group: its users draw for its own customers only, within the group; its admins get the quota alerts", async () => {
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { maxMachines: 2 });
    const outside = await factories.policy(api, (await factories.product(api)).id, 'timed');
    const group = (await api.post('/v1/product-groups', { name: `Contract group ${Date.now()}`, productIds: [product.id] })).body;
    const partner = await api.post('/v1/partners', { name: 'Pack seller', grants: [{ productGroupId: group.id, rights: ['licenses:create', 'customers:create'] }] });
    assert.equal(partner.status, 201, partner.raw);
    const partnerUser = async (role: 'partner-admin' | 'partner-member') => {
      const email = `${role}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
      assert.equal((await api.post('/v1/users', { email, password: 'correct horse battery', role, partnerId: partner.body.id })).status, 201);
      const signIn = await client(ctx.t.app, undefined).post('/v1/auth/sign-in', { email, password: 'correct horse battery' });
      return { email, api: client(ctx.t.app, signIn.body.token as string) };
    };
    const admin = await partnerUser('partner-admin');
    const seller = await partnerUser('partner-member');
    const own = await seller.api.post('/v1/customers', { name: 'Partner customer', email: `pc-${Date.now()}@example.com` });
    assert.equal(own.status, 201, own.raw);
    const stranger = await factories.customer(api);
    const pack = await contract({ partnerId: partner.body.id, productGroupId: group.id, quantity: 2 });

    const drawn = await seller.api.post('/v1/licenses', { policyId: policy.id, customerId: own.body.id, contractId: pack.id });
    assert.equal(drawn.status, 201, drawn.raw);
    assert.deepEqual([drawn.body.contractId, drawn.body.soldBy], [pack.id, partner.body.id]);
    // Staff draw for a customer that is not the partner's: refused; a product outside the group: refused.
    assert.equal(code(await api.post('/v1/licenses', { policyId: policy.id, customerId: stranger.id, contractId: pack.id })), 'CONTRACT_MISMATCH');
    assert.equal(code(await api.post('/v1/licenses', { policyId: outside.id, customerId: own.body.id, contractId: pack.id })), 'CONTRACT_MISMATCH');
    assert.equal((await seller.api.post('/v1/licenses', { policyId: policy.id, customerId: own.body.id, contractId: pack.id })).status, 201);
    const over = await seller.api.post('/v1/licenses', { policyId: policy.id, customerId: own.body.id, contractId: pack.id });
    assert.equal(over.status, 422, over.raw);
    assert.equal(code(over), 'QUOTA_EXHAUSTED');
    assert.equal((await api.get(`/v1/contracts/${pack.id}`)).body.used, 2);
    // 80% and 100% reached: the partner's admin is told (the member is not an admin).
    const to = (await api.get('/v1/outbox?template=contract.quota&limit=100')).body.data.flatMap((m: any) => m.to);
    assert.ok(to.includes(admin.email), JSON.stringify(to));
    assert.ok(!to.includes(seller.email));
  });

  test("a contract's policies: the holder's admins read what they may issue from it; nobody else does", async () => {
    const { product, policy, customer, admin, member } = await org();
    const second = await factories.policy(api, product.id, 'perpetual', { name: 'Forever' });
    const other = await factories.product(api);
    const otherPolicy = await factories.policy(api, other.id, 'timed', { name: 'Other yearly' });
    const group = (await api.post('/v1/product-groups', { name: `Covered ${Date.now()}`, productIds: [product.id, other.id] })).body;
    const onPolicy = await contract({ customerId: customer.id, policyId: policy.id, quantity: 3 });
    const onGroup = await contract({ customerId: customer.id, productGroupId: group.id, quantity: 3 });
    const strangers = await contract({ customerId: (await factories.customer(api)).id, policyId: policy.id, quantity: 3 });

    // A customer admin may not list policies, yet reads the ones its contracts cover, with product names.
    const listed = async (who: Client, id: string) => {
      const res = await who.get(`/v1/contracts/${id}/policies`);
      assert.equal(res.status, 200, res.raw);
      return res.body.data.map((p: any) => [p.id, p.productName]).sort();
    };
    assert.deepEqual(await listed(admin, onPolicy.id), [[policy.id, product.name]]);
    assert.deepEqual(await listed(admin, onGroup.id), [[policy.id, product.name], [second.id, product.name], [otherPolicy.id, other.name]].sort());
    assert.deepEqual(await listed(api, onGroup.id), await listed(admin, onGroup.id));
    const one = (await admin.get(`/v1/contracts/${onPolicy.id}/policies`)).body.data[0];
    assert.deepEqual([one.name, one.kind, one.maxMachines, one.productId], [policy.name, 'timed', 5, product.id]);
    // Another organization's contract does not exist for it; members read no contracts.
    assert.equal((await admin.get(`/v1/contracts/${strangers.id}/policies`)).status, 404);
    assert.equal((await member.get(`/v1/contracts/${onPolicy.id}/policies`)).status, 403);
    assert.equal((await api.get('/v1/contracts/ctr_nothing/policies')).status, 404);
  });
});
