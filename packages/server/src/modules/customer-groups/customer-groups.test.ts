import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';

/**
 * Groups of a customer organization's people and tickets (a license's allocation): who manages groups,
 * who sees which ticket (list, get, machines, activation by sign-in), who may allocate, and that a
 * deleted group gives its tickets back to the organization. Attacker-minded: other organizations get 404,
 * members without the right get 403, a member never sees another person's ticket.
 */
forEachDialect('customer groups and tickets', (dialect) => {
  const ctx = useTestApp(dialect);
  type Person = Awaited<ReturnType<typeof factories.signedInUser>> & { api: Client };
  let api: Client;
  let A: { product: any; policy: any; customer: any; license: any };
  let B: { product: any; policy: any; customer: any; license: any };
  let adminA: Person, alice: Person, bob: Person, carol: Person, adminB: Person, memberB: Person;

  const person = async (role: string, customerId?: string): Promise<Person> => {
    const p = await factories.signedInUser(api, ctx.t.app, role, customerId);
    return { ...p, api: client(ctx.t.app, p.token) };
  };
  const license = async (overrides: Record<string, unknown> = {}) => factories.license(api, A.policy.id, { customerId: A.customer.id, ...overrides });
  const group = async (by: Client, name: string, visibility: 'members' | 'admins' = 'members') => {
    const res = await by.post(`/v1/customers/${A.customer.id}/groups`, { name, visibility });
    assert.equal(res.status, 201, res.raw);
    return res.body;
  };
  const join = async (groupId: string, userId: string, admin = false) => {
    const res = await adminA.api.post(`/v1/customer-groups/${groupId}/members`, { userId, admin });
    assert.equal(res.status, 200, res.raw);
    return res.body;
  };
  const allocate = (by: Client, licenseId: string, target: Record<string, string>) => by.post(`/v1/licenses/${licenseId}/allocation`, target);
  const visible = async (by: Client, query = '') => {
    const res = await by.get(`/v1/licenses?limit=100${query}`);
    assert.equal(res.status, 200, res.raw);
    return new Set<string>(res.body.data.map((l: any) => l.id));
  };

  before(async () => {
    api = ctx.api;
    A = await factories.world(api, { durationDays: 365 });
    B = await factories.world(api, { durationDays: 365 });
    adminA = await person('customer-admin', A.customer.id);
    alice = await person('customer-member', A.customer.id);
    bob = await person('customer-member', A.customer.id);
    carol = await person('customer-member', A.customer.id);
    adminB = await person('customer-admin', B.customer.id);
    memberB = await person('customer-member', B.customer.id);
  });

  test('customer admins manage their own groups; other organizations, members and read-only staff cannot', async () => {
    const eng = await group(adminA.api, `Engineering ${dialect}`);
    assert.equal(eng.customerId, A.customer.id);
    assert.match(eng.id, /^cgrp_/);
    assert.equal(eng.visibility, 'members');
    assert.equal((await adminA.api.post(`/v1/customers/${A.customer.id}/groups`, { name: `Engineering ${dialect}` })).status, 409, 'one name per organization');

    const withAlice = await join(eng.id, alice.user.id, true);
    await join(eng.id, bob.user.id);
    assert.deepEqual(withAlice.members.map((m: any) => [m.userId, m.admin, m.email]), [[alice.user.id, true, alice.email]]);
    // Changing the admin flag is the same call; no duplicate membership.
    assert.equal((await join(eng.id, bob.user.id, true)).members.length, 2);
    assert.equal((await join(eng.id, bob.user.id, false)).members.filter((m: any) => m.admin).length, 1);

    // Only users of the organization: another organization's user, a staff user or an unknown id are the same 422.
    const staff = await person('support');
    for (const userId of [memberB.user.id, staff.user.id, 'usr_nobody']) {
      const res = await adminA.api.post(`/v1/customer-groups/${eng.id}/members`, { userId, admin: false });
      assert.equal(res.status, 422, res.raw);
      assert.equal(res.body.error.code, 'NOT_IN_ORGANIZATION');
    }

    // Organization B's admin: every route on A's group or A's organization is a 404.
    for (const [method, url, body] of [
      ['GET', `/v1/customer-groups/${eng.id}`],
      ['PATCH', `/v1/customer-groups/${eng.id}`, { name: 'Taken over' }],
      ['DELETE', `/v1/customer-groups/${eng.id}`],
      ['POST', `/v1/customer-groups/${eng.id}/members`, { userId: memberB.user.id, admin: true }],
      ['DELETE', `/v1/customer-groups/${eng.id}/members/${alice.user.id}`],
      ['GET', `/v1/customers/${A.customer.id}/groups`],
      ['POST', `/v1/customers/${A.customer.id}/groups`, { name: 'Sneaky' }],
    ] as [string, string, unknown?][]) {
      const res = await adminB.api.call(method, url, body);
      assert.equal(res.status, 404, `${method} ${url}: ${res.raw}`);
    }
    // B's own list does not hold A's group.
    assert.deepEqual((await adminB.api.get(`/v1/customers/${B.customer.id}/groups`)).body.data, []);

    // Members cannot manage groups (403, the permission), and see only the groups they are in.
    assert.equal((await alice.api.post(`/v1/customers/${A.customer.id}/groups`, { name: 'Mine' })).status, 403);
    assert.equal((await alice.api.patch(`/v1/customer-groups/${eng.id}`, { visibility: 'admins' })).status, 403);
    assert.equal((await bob.api.delete(`/v1/customer-groups/${eng.id}/members/${alice.user.id}`)).status, 403);
    assert.equal((await carol.api.get(`/v1/customer-groups/${eng.id}`)).status, 404, 'not in the group');
    assert.deepEqual((await carol.api.get(`/v1/customers/${A.customer.id}/groups`)).body.data, []);
    // A group admin sees every member; a plain member only itself.
    assert.equal((await alice.api.get(`/v1/customer-groups/${eng.id}`)).body.members.length, 2);
    assert.deepEqual((await bob.api.get(`/v1/customer-groups/${eng.id}`)).body.members.map((m: any) => m.userId), [bob.user.id]);
    assert.deepEqual((await bob.api.get(`/v1/customers/${A.customer.id}/groups`)).body.data.map((g: any) => g.id), [eng.id]);

    // Staff: customers:write roles manage, read-only reads only.
    const sales = await person('sales');
    const readOnly = await person('read-only');
    assert.equal((await sales.api.patch(`/v1/customer-groups/${eng.id}`, { name: `Engineering (R&D) ${dialect}` })).status, 200);
    assert.equal((await readOnly.api.get(`/v1/customer-groups/${eng.id}`)).status, 200);
    assert.equal((await readOnly.api.post(`/v1/customers/${A.customer.id}/groups`, { name: 'RO' })).status, 403);

    // Removing a member; removing again is a 404.
    assert.equal((await adminA.api.delete(`/v1/customer-groups/${eng.id}/members/${bob.user.id}`)).status, 204);
    assert.equal((await adminA.api.delete(`/v1/customer-groups/${eng.id}/members/${bob.user.id}`)).status, 404);

    const events = (await api.get(`/v1/events?targetType=customer_group&targetId=${eng.id}&limit=100`)).body.data.map((e: any) => e.action);
    for (const action of ['customer_group.created', 'customer_group.member_added', 'customer_group.member_updated', 'customer_group.updated', 'customer_group.member_removed']) {
      assert.ok(events.includes(action), `${action} in ${events.join(', ')}`);
    }
  });

  test('a member sees its own tickets, its groups’ shared tickets and those of groups it administers; nothing else', async () => {
    const shared = await group(adminA.api, `Support ${dialect}`, 'members');
    const hidden = await group(adminA.api, `Finance ${dialect}`, 'admins');
    await join(shared.id, alice.user.id, true);
    await join(shared.id, bob.user.id);
    await join(hidden.id, alice.user.id, true);
    await join(hidden.id, bob.user.id);

    const org = await license({ name: 'org' });
    const forAlice = await license({ name: 'alice' });
    const forShared = await license({ name: 'shared group' });
    const forHidden = await license({ name: 'admins-only group' });
    const forBob = await license({ name: 'bob through the shared group' });
    const ok = async (licenseId: string, target: Record<string, string>) => {
      const res = await allocate(adminA.api, licenseId, target);
      assert.equal(res.status, 200, res.raw);
      return res.body;
    };
    assert.deepEqual((await ok(forAlice.id, { userId: alice.user.id })).allocation, { kind: 'user', groupId: null, userId: alice.user.id });
    assert.deepEqual((await ok(forShared.id, { groupId: shared.id })).allocation, { kind: 'group', groupId: shared.id, userId: null });
    await ok(forHidden.id, { groupId: hidden.id });
    assert.deepEqual((await ok(forBob.id, { groupId: shared.id, userId: bob.user.id })).allocation, { kind: 'user', groupId: shared.id, userId: bob.user.id });
    assert.deepEqual(org.allocation, { kind: 'organization', groupId: null, userId: null });

    const mine = [org, forAlice, forShared, forHidden, forBob].map((l) => l.id);
    const seen = (set: Set<string>) => mine.filter((id) => set.has(id));
    assert.deepEqual(seen(await visible(alice.api)), [org.id, forAlice.id, forShared.id, forHidden.id, forBob.id], 'alice administers both groups');
    assert.deepEqual(seen(await visible(bob.api)), [org.id, forShared.id, forBob.id], "bob: not alice's, not the admins-only group's");
    assert.deepEqual(seen(await visible(carol.api)), [org.id], 'carol is in no group');
    assert.deepEqual(seen(await visible(adminA.api)), mine, 'the customer admin sees the whole organization');
    assert.deepEqual([...(await visible(alice.api, '&allocatedTo=me'))], [forAlice.id]);
    assert.deepEqual(seen(await visible(bob.api, '&allocatedTo=me')), [forBob.id]);

    // A member API token is no person: the organization's tickets only.
    const token = await api.post('/v1/tokens', { name: 'kiosk', role: 'customer-member', customerId: A.customer.id });
    assert.equal(token.status, 201, token.raw);
    assert.deepEqual(seen(await visible(client(ctx.t.app, token.body.token))), [org.id]);

    // Invisible is 404 everywhere: get, events, machines, activation by sign-in.
    for (const url of [`/v1/licenses/${forAlice.id}`, `/v1/licenses/${forHidden.id}`]) assert.equal((await bob.api.get(url)).status, 404, url);
    assert.equal((await carol.api.get(`/v1/licenses/${forBob.id}`)).status, 404);
    const anon = client(ctx.t.app, undefined);
    assert.equal((await anon.post('/v1/machines/activate', { key: forAlice.key, fingerprint: `fp-alice-${dialect}` })).status, 201);
    assert.deepEqual((await bob.api.get(`/v1/machines?licenseId=${forAlice.id}`)).body.data, []);
    assert.ok(!(await bob.api.get('/v1/machines?limit=100')).body.data.some((m: any) => m.licenseId === forAlice.id));
    assert.equal((await alice.api.get(`/v1/machines?licenseId=${forAlice.id}`)).body.data.length, 1);
    const activate = (p: Person, licenseId: string) => p.api.post(`/v1/licenses/${licenseId}/machines`, { fingerprint: `fp-${p.user.id}-${licenseId}`, name: 'Workstation' });
    for (const [p, licenseId] of [[bob, forAlice.id], [bob, forHidden.id], [carol, forShared.id], [carol, forBob.id]] as [Person, string][]) {
      const res = await activate(p, licenseId);
      assert.equal(res.status, 404, `${p.email} on ${licenseId}: ${res.raw}`);
    }
    assert.equal((await activate(alice, forAlice.id)).status, 201);
    assert.equal((await activate(bob, forShared.id)).status, 201);
    assert.equal((await activate(bob, forBob.id)).status, 201);
    assert.equal((await activate(carol, org.id)).status, 201);

    // Visibility 'admins' → 'members': bob sees the group's unheld ticket from then on.
    assert.equal((await adminA.api.patch(`/v1/customer-groups/${hidden.id}`, { visibility: 'members' })).status, 200);
    assert.equal((await bob.api.get(`/v1/licenses/${forHidden.id}`)).status, 200);
  });

  test('who may allocate: group admins within their group only, customer admins within their organization, staff with the right', async () => {
    const team = await group(adminA.api, `Team ${dialect}`);
    const other = await group(adminA.api, `Other ${dialect}`);
    await join(team.id, alice.user.id, true);
    await join(team.id, bob.user.id);
    await join(other.id, alice.user.id, true);
    const ticket = await license();
    assert.equal((await allocate(adminA.api, ticket.id, { groupId: team.id })).status, 200);

    // Alice (team admin): to a member, back to the group.
    const toBob = await allocate(alice.api, ticket.id, { userId: bob.user.id });
    assert.equal(toBob.status, 200, toBob.raw);
    assert.deepEqual(toBob.body.allocation, { kind: 'user', groupId: team.id, userId: bob.user.id }, 'held through the group');
    assert.equal((await allocate(alice.api, ticket.id, { groupId: team.id })).status, 200);

    const refused = async (by: Person, target: Record<string, string>, status: number, code: string, licenseId = ticket.id) => {
      const res = await allocate(by.api, licenseId, target);
      assert.equal(res.status, status, `${by.email} ${JSON.stringify(target)}: ${res.raw}`);
      assert.equal(res.body.error.code, code);
    };
    await refused(alice, { userId: carol.user.id }, 422, 'ALLOCATION_INVALID'); // not a member of the group
    await refused(alice, { userId: memberB.user.id }, 422, 'NOT_IN_ORGANIZATION'); // another organization's user
    await refused(alice, { groupId: other.id }, 403, 'FORBIDDEN'); // another group, though she administers it
    await refused(alice, {}, 403, 'FORBIDDEN'); // the organization: an organization admin's call
    await refused(bob, { userId: bob.user.id }, 403, 'FORBIDDEN'); // a plain member
    const orgTicket = await license();
    await refused(alice, { userId: alice.user.id }, 403, 'FORBIDDEN', orgTicket.id); // not her group's ticket
    await refused(carol, { userId: carol.user.id }, 403, 'FORBIDDEN', orgTicket.id);

    // Customer admins: their organization only; another organization's license or group is not theirs.
    const groupB = (await adminB.api.post(`/v1/customers/${B.customer.id}/groups`, { name: `B ${dialect}` })).body;
    await refused(adminA, { groupId: groupB.id }, 422, 'ALLOCATION_INVALID');
    await refused(adminA, { userId: memberB.user.id }, 422, 'NOT_IN_ORGANIZATION');
    await refused(adminA, {}, 404, 'NOT_FOUND', B.license.id);
    await refused(adminB, {}, 404, 'NOT_FOUND');
    await refused(adminB, { groupId: groupB.id }, 404, 'NOT_FOUND');
    // A license of no organization has no people to allocate to.
    const unowned = await factories.license(api, A.policy.id);
    assert.equal((await allocate(api, unowned.id, { userId: alice.user.id })).body.error.code, 'ALLOCATION_INVALID');

    // Staff: sales and support may (licenses:allocate), read-only may not.
    const support = await person('support');
    const readOnly = await person('read-only');
    assert.equal((await allocate(support.api, ticket.id, { userId: carol.user.id })).status, 200);
    await refused(readOnly, {}, 403, 'FORBIDDEN');
    assert.equal((await allocate(adminA.api, ticket.id, {})).status, 200);

    // Every allocation is an event with before and after; allocating where it is records nothing.
    const events = async () => (await api.get(`/v1/events?targetId=${ticket.id}&action=license.allocated&limit=100`)).body.data;
    const recorded = await events();
    assert.equal(recorded.length, 5);
    const last = recorded[0];
    assert.deepEqual([last.before.allocation.userId, last.after.allocation.kind], [carol.user.id, 'organization']);
    assert.equal(last.actor.id, adminA.user.id);
    assert.equal((await allocate(adminA.api, ticket.id, {})).status, 200);
    assert.equal((await events()).length, 5);

    // Moving the license to another organization starts its ticket over with that organization.
    assert.equal((await allocate(adminA.api, ticket.id, { userId: alice.user.id })).status, 200);
    const moved = await api.patch(`/v1/licenses/${ticket.id}`, { customerId: B.customer.id });
    assert.deepEqual(moved.body.allocation, { kind: 'organization', groupId: null, userId: null });
    assert.equal((await alice.api.get(`/v1/licenses/${ticket.id}`)).status, 404);
  });

  test('concurrent allocations of one ticket: each answer is 200 or 409, and the ticket ends where one of them put it', async () => {
    const people = [alice, bob, carol];
    const ticket = await license();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => allocate(adminA.api, ticket.id, { userId: people[i % 3]!.user.id })));
    for (const res of answers) assert.ok(res.status === 200 || res.status === 409, res.raw);
    const final = (await api.get(`/v1/licenses/${ticket.id}`)).body.allocation;
    assert.ok(people.some((p) => p.user.id === final.userId));
  });

  test('deleting a group gives its tickets back to the organization, each one recorded', async () => {
    const doomed = await group(adminA.api, `Doomed ${dialect}`, 'admins');
    await join(doomed.id, bob.user.id);
    const unheld = await license();
    const held = await license();
    assert.equal((await allocate(adminA.api, unheld.id, { groupId: doomed.id })).status, 200);
    assert.equal((await allocate(adminA.api, held.id, { groupId: doomed.id, userId: bob.user.id })).status, 200);
    assert.equal((await carol.api.get(`/v1/licenses/${unheld.id}`)).status, 404);
    assert.equal((await adminB.api.delete(`/v1/customer-groups/${doomed.id}`)).status, 404, "another organization's admin");
    assert.equal((await bob.api.delete(`/v1/customer-groups/${doomed.id}`)).status, 403, 'a member');

    assert.equal((await adminA.api.delete(`/v1/customer-groups/${doomed.id}`)).status, 204);
    assert.equal((await adminA.api.get(`/v1/customer-groups/${doomed.id}`)).status, 404);
    for (const l of [unheld, held]) {
      const now = (await api.get(`/v1/licenses/${l.id}`)).body;
      assert.deepEqual(now.allocation, { kind: 'organization', groupId: null, userId: null });
      assert.equal((await carol.api.get(`/v1/licenses/${l.id}`)).status, 200, 'the whole organization sees it now');
      const event = (await api.get(`/v1/events?targetId=${l.id}&action=license.allocated&limit=1`)).body.data[0];
      assert.equal(event.before.allocation.groupId, doomed.id);
      assert.equal(event.after.allocation.kind, 'organization');
    }
    const deleted = (await api.get(`/v1/events?targetId=${doomed.id}&action=customer_group.deleted`)).body.data;
    assert.equal(deleted.length, 1);
  });
});
