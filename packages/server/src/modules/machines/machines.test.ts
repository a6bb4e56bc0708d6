import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Answer } from '../../testing/harness.js';
import { verifySignature } from '../../testing/signatures.js';
import { LEASE_TOLERANCE_SECONDS } from './seats.service.js';

let counter = 0;
const fp = (prefix = 'fp') => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

forEachDialect('machines API', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);
  const activate = (key: string, fingerprint: string, extra: Record<string, unknown> = {}) => anon().post('/v1/machines/activate', { key, fingerprint, ...extra });
  const deactivate = (key: string, fingerprint: string) => anon().post('/v1/machines/deactivate', { key, fingerprint });
  const heartbeat = (key: string, fingerprint: string) => anon().post('/v1/machines/heartbeat', { key, fingerprint });
  const validate = (key: string, fingerprint?: string) => anon().post('/v1/licenses/validate', { key, ...(fingerprint ? { fingerprint } : {}) });
  const seats = async (licenseId: string) => (await ctx.api.get(`/v1/licenses/${licenseId}`)).body.activeMachines as number;
  const errorCode = (res: Answer) => res.body?.error?.code;

  test('activate 201, again 200 without a second seat, activeMachines counts; deactivate frees the seat', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 2 });
    const first = await activate(license.key, 'fp-one', { name: 'Alice laptop', hostname: 'alice-mbp', platform: 'macos', metadata: { cpu: 'm3' } });
    assert.equal(first.status, 201, first.raw);
    assert.equal(first.body.machine.fingerprint, 'fp-one');
    assert.equal(first.body.machine.name, 'Alice laptop');
    assert.equal(first.body.machine.licenseId, license.id);
    assert.equal(first.body.machine.leaseExpiresAt, null, 'node-locked');
    assert.deepEqual(first.body.machine.metadata, { cpu: 'm3' });
    assert.equal(first.body.license.activeMachines, 1);
    assert.equal(first.body.license.maxMachines, 2);

    const again = await activate(license.key, 'fp-one');
    assert.equal(again.status, 200, again.raw);
    assert.equal(again.body.machine.id, first.body.machine.id);
    assert.equal(again.body.machine.name, 'Alice laptop', 'details are kept when not sent again');
    assert.equal(again.body.license.activeMachines, 1);
    assert.equal(await seats(license.id), 1);

    const second = await activate(license.key, 'fp-two');
    assert.equal(second.status, 201, second.raw);
    assert.equal(second.body.license.activeMachines, 2);
    assert.equal(await seats(license.id), 2);

    const gone = await deactivate(license.key, 'fp-one');
    assert.equal(gone.status, 204, gone.raw);
    assert.equal(await seats(license.id), 1);
    const unknown = await deactivate(license.key, 'fp-one');
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'NOT_FOUND');
    const third = await activate(license.key, 'fp-three');
    assert.equal(third.status, 201, 'the freed seat is taken again');
  });

  test('TOO_MANY_MACHINES at the limit, with an audit event machine.activation_refused', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1 });
    assert.equal((await activate(license.key, 'seat-1')).status, 201);
    const refused = await activate(license.key, 'seat-2');
    assert.equal(refused.status, 422, refused.raw);
    assert.equal(errorCode(refused), 'TOO_MANY_MACHINES');
    assert.equal(refused.body.error.details.maxMachines, 1);
    assert.equal(refused.body.error.details.activeMachines, 1);
    assert.equal(await seats(license.id), 1);
    const events = await ctx.api.get(`/v1/events?targetId=${license.id}&action=machine.activation_refused`);
    assert.equal(events.status, 200, events.raw);
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].action, 'machine.activation_refused');
    assert.equal(events.body.data[0].after.fingerprint, 'seat-2');
    // The machine already active still re-activates (200) on a full license.
    assert.equal((await activate(license.key, 'seat-1')).status, 200);
  });

  test('unknown keys are 404, unusable licenses 422 with their status code', async () => {
    const unknown = await activate('00000-00000-00000-00000-00000-00000', 'fp');
    assert.equal(unknown.status, 404, unknown.raw);
    assert.equal(errorCode(unknown), 'NOT_FOUND');

    const { license } = await factories.world(ctx.api, { maxMachines: 3 });
    assert.equal((await activate(license.key, 'before-suspension')).status, 201);
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/suspend`)).status, 200);
    const suspended = await activate(license.key, 'during-suspension');
    assert.equal(suspended.status, 422, suspended.raw);
    assert.equal(errorCode(suspended), 'SUSPENDED');
    const hb = await heartbeat(license.key, 'before-suspension');
    assert.equal(hb.status, 422);
    assert.equal(errorCode(hb), 'SUSPENDED');
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/actions/reinstate`)).status, 200);
    assert.equal((await activate(license.key, 'during-suspension')).status, 201);

    const revokedWorld = await factories.world(ctx.api);
    assert.equal((await ctx.api.post(`/v1/licenses/${revokedWorld.license.id}/actions/revoke`)).status, 200);
    const revoked = await activate(revokedWorld.license.key, 'fp');
    assert.equal(revoked.status, 422);
    assert.equal(errorCode(revoked), 'REVOKED');
  });

  test('validation with a fingerprint: NO_MACHINE, FINGERPRINT_NOT_ACTIVATED, VALID, and TOO_MANY_MACHINES after maxMachines is lowered', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 3 });
    const none = await validate(license.key, 'fp-a');
    assert.equal(none.status, 200);
    assert.equal(none.body.valid, false);
    assert.equal(none.body.code, 'NO_MACHINE');
    assert.equal((await validate(license.key)).body.code, 'VALID', 'without a fingerprint the machines are not checked');

    assert.equal((await activate(license.key, 'fp-a')).status, 201);
    const other = await validate(license.key, 'fp-b');
    assert.equal(other.body.code, 'FINGERPRINT_NOT_ACTIVATED');
    assert.equal(other.body.valid, false);
    const ok = await validate(license.key, 'fp-a');
    assert.equal(ok.body.code, 'VALID');
    assert.equal(ok.body.valid, true);

    assert.equal((await activate(license.key, 'fp-b')).status, 201);
    const lowered = await ctx.api.patch(`/v1/licenses/${license.id}`, { maxMachines: 1 });
    assert.equal(lowered.status, 200, lowered.raw);
    assert.equal(lowered.body.maxMachines, 1);
    const tooMany = await validate(license.key, 'fp-a');
    assert.equal(tooMany.body.valid, false);
    assert.equal(tooMany.body.code, 'TOO_MANY_MACHINES');
    const refused = await activate(license.key, 'fp-c');
    assert.equal(refused.status, 422);
    assert.equal(errorCode(refused), 'TOO_MANY_MACHINES');
    // Freeing one seat brings the license back within its limit.
    assert.equal((await deactivate(license.key, 'fp-b')).status, 204);
    assert.equal((await validate(license.key, 'fp-a')).body.code, 'VALID');
  });

  test('a node-locked seat is held however much time passes', async () => {
    const { license } = await factories.world(ctx.api, { durationDays: 365, maxMachines: 1 });
    assert.equal((await activate(license.key, 'desk')).status, 201);
    ctx.t.clock.advance(90 * 86_400_000);
    assert.equal((await validate(license.key, 'desk')).body.code, 'VALID');
    assert.equal(await seats(license.id), 1);
    const refused = await activate(license.key, 'another-desk');
    assert.equal(errorCode(refused), 'TOO_MANY_MACHINES');
    const hb = await heartbeat(license.key, 'desk');
    assert.equal(hb.status, 200, hb.raw);
    assert.equal(hb.body.machine.leaseExpiresAt, null);
    assert.equal(hb.body.machine.lastHeartbeatAt, ctx.t.clock.now().toISOString());
  });

  test('floating: heartbeats renew the lease; after it lapses validation and heartbeat answer HEARTBEAT_DEAD and the seat is free', async () => {
    const heartbeatSeconds = 300;
    const { license } = await factories.world(ctx.api, { durationDays: 365, maxMachines: 1, floating: true, heartbeatSeconds });
    const leaseMs = (heartbeatSeconds + LEASE_TOLERANCE_SECONDS) * 1000;
    const start = ctx.t.clock.now().getTime();
    const first = await activate(license.key, 'float-1');
    assert.equal(first.status, 201, first.raw);
    assert.equal(first.body.machine.leaseExpiresAt, new Date(start + leaseMs).toISOString());
    assert.equal(errorCode(await activate(license.key, 'float-2')), 'TOO_MANY_MACHINES', 'the live lease holds the seat');

    ctx.t.clock.advance(heartbeatSeconds * 1000);
    const renewed = await heartbeat(license.key, 'float-1');
    assert.equal(renewed.status, 200, renewed.raw);
    assert.equal(renewed.body.machine.leaseExpiresAt, new Date(ctx.t.clock.now().getTime() + leaseMs).toISOString());
    assert.ok(Date.parse(renewed.body.machine.leaseExpiresAt) > Date.parse(first.body.machine.leaseExpiresAt));
    ctx.t.clock.advance(leaseMs - 1000);
    assert.equal((await validate(license.key, 'float-1')).body.code, 'VALID', 'still inside the renewed lease');

    ctx.t.clock.advance(2000);
    const dead = await validate(license.key, 'float-1');
    assert.equal(dead.body.valid, false);
    assert.equal(dead.body.code, 'HEARTBEAT_DEAD');
    const late = await heartbeat(license.key, 'float-1');
    assert.equal(late.status, 422, late.raw);
    assert.equal(errorCode(late), 'HEARTBEAT_DEAD');
    assert.equal(await seats(license.id), 0);

    const other = await activate(license.key, 'float-2');
    assert.equal(other.status, 201, other.raw);
    assert.equal(other.body.license.activeMachines, 1);
    // The lapsed machine now finds the seat taken.
    assert.equal(errorCode(await activate(license.key, 'float-1')), 'TOO_MANY_MACHINES');
  });

  test('answers carry the lease state: node-locked, active, lapsed; the list agrees with the seat count', async () => {
    const heartbeatSeconds = 300;
    const floating = await factories.world(ctx.api, { durationDays: 365, maxMachines: 2, floating: true, heartbeatSeconds });
    const locked = await factories.world(ctx.api, { durationDays: 365, maxMachines: 1 });
    const desk = await activate(locked.license.key, 'desk-lease');
    assert.equal(desk.body.machine.leaseState, 'node-locked');
    const first = await activate(floating.license.key, 'lease-1');
    assert.equal(first.body.machine.leaseState, 'active');
    ctx.t.clock.advance((heartbeatSeconds + LEASE_TOLERANCE_SECONDS + 1) * 1000);
    assert.equal((await activate(floating.license.key, 'lease-2')).status, 201);
    assert.equal((await heartbeat(floating.license.key, 'lease-2')).body.machine.leaseState, 'active');

    const list = await ctx.api.get(`/v1/machines?licenseId=${floating.license.id}`);
    const state = Object.fromEntries(list.body.data.map((m: { fingerprint: string; leaseState: string }) => [m.fingerprint, m.leaseState]));
    assert.deepEqual(state, { 'lease-1': 'lapsed', 'lease-2': 'active' }, 'the lapsed row is still listed, marked lapsed');
    const counted = list.body.data.filter((m: { leaseState: string }) => m.leaseState !== 'lapsed').length;
    assert.equal(counted, await seats(floating.license.id), 'machines not lapsed are exactly the seats the license counts');
    const lockedList = await ctx.api.get(`/v1/machines?licenseId=${locked.license.id}`);
    assert.equal(lockedList.body.data[0].leaseState, 'node-locked');
    assert.equal(lockedList.body.data[0].leaseExpiresAt, null);
  });

  test('client answers are signed and echo the nonce', async () => {
    const { license } = await factories.world(ctx.api);
    const pub = (await anon().get('/v1/public-key')).body.publicKey as string;
    const act = await activate(license.key, 'signed-fp', { nonce: 'n-activate' });
    assert.equal(act.status, 201);
    assert.equal(act.body.nonce, 'n-activate');
    assert.ok(verifySignature(pub, act, 'POST', '/v1/machines/activate', 'n-activate'), 'activate 201 is signed');
    const again = await activate(license.key, 'signed-fp', { nonce: 'n-again' });
    assert.equal(again.status, 200);
    assert.equal(again.body.nonce, 'n-again');
    assert.ok(verifySignature(pub, again, 'POST', '/v1/machines/activate', 'n-again'), 'activate 200 is signed');
    assert.equal(verifySignature(pub, { ...again, raw: again.raw.replace('n-again', 'n-other') }, 'POST', '/v1/machines/activate', 'n-again'), false);

    const hb = await anon().post('/v1/machines/heartbeat', { key: license.key, fingerprint: 'signed-fp', nonce: 'n-heartbeat' });
    assert.equal(hb.status, 200, hb.raw);
    assert.equal(hb.body.nonce, 'n-heartbeat');
    assert.ok(verifySignature(pub, hb, 'POST', '/v1/machines/heartbeat', 'n-heartbeat'), 'heartbeat is signed');

    const refused = await activate('00000-00000-00000-00000-00000-00000', 'fp', { nonce: 'n-404' });
    assert.equal(refused.status, 404);
    assert.ok(refused.headers['keyhaven-signature'], 'errors are signed too');
    assert.ok(verifySignature(pub, refused, 'POST', '/v1/machines/activate', 'n-404'), 'a 404 is signed');

    const off = await anon().post('/v1/machines/deactivate', { key: license.key, fingerprint: 'signed-fp', nonce: 'n-deactivate' });
    assert.equal(off.status, 204, off.raw);
    assert.ok(off.headers['keyhaven-signature'], 'deactivate carries a signature');
    assert.ok(verifySignature(pub, off, 'POST', '/v1/machines/deactivate', 'n-deactivate'), 'the 204 of deactivate is signed over its empty body');
  });

  test('staff list machines by license, fingerprint and friendly name, and delete one', async () => {
    const { license } = await factories.world(ctx.api);
    const elsewhere = await factories.world(ctx.api);
    const tag = fp('render');
    await activate(license.key, `${tag}-1`, { name: `Render Node ${tag} One`, hostname: 'rn-1' });
    await activate(license.key, `${tag}-2`, { name: 'Office PC', hostname: `host-${tag}` });
    await activate(license.key, `${tag}-3`, { name: 'Laptop' });
    await activate(elsewhere.license.key, `${tag}-x`, { name: 'Elsewhere' });

    const all = await ctx.api.get(`/v1/machines?licenseId=${license.id}`);
    assert.equal(all.status, 200, all.raw);
    assert.deepEqual(all.body.data.map((m: any) => m.fingerprint).sort(), [`${tag}-1`, `${tag}-2`, `${tag}-3`]);

    const byName = await ctx.api.get(`/v1/machines?q=${encodeURIComponent(`render node ${tag}`.toUpperCase())}`);
    assert.deepEqual(byName.body.data.map((m: any) => m.fingerprint), [`${tag}-1`], 'case-insensitive friendly-name search');
    const byHost = await ctx.api.get(`/v1/machines?q=${encodeURIComponent(`host-${tag}`)}`);
    assert.deepEqual(byHost.body.data.map((m: any) => m.fingerprint), [`${tag}-2`]);
    const byFingerprint = await ctx.api.get(`/v1/machines?fingerprint=${encodeURIComponent(`${tag}-x`)}`);
    assert.deepEqual(byFingerprint.body.data.map((m: any) => m.licenseId), [elsewhere.license.id]);

    const paged = await ctx.api.get(`/v1/machines?licenseId=${license.id}&limit=2`);
    assert.equal(paged.body.data.length, 2);
    assert.ok(paged.body.nextCursor, 'a next page');
    const rest = await ctx.api.get(`/v1/machines?licenseId=${license.id}&limit=2&cursor=${paged.body.nextCursor}`);
    assert.equal(rest.body.data.length, 1);

    const target = all.body.data.find((m: any) => m.fingerprint === `${tag}-3`);
    const deleted = await ctx.api.delete(`/v1/machines/${target.id}`);
    assert.equal(deleted.status, 204, deleted.raw);
    assert.equal((await ctx.api.delete(`/v1/machines/${target.id}`)).status, 404);
    assert.equal(await seats(license.id), 2);
    const events = await ctx.api.get(`/v1/events?targetId=${license.id}&action=machine.deactivated`);
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].before.fingerprint, `${tag}-3`);
    assert.equal((await validate(license.key, `${tag}-3`)).body.code, 'FINGERPRINT_NOT_ACTIVATED');
  });

  test('a customer admin lists and deletes its organization machines; a customer member lists but may not delete', async () => {
    const { customer, license } = await factories.world(ctx.api);
    const other = await factories.world(ctx.api);
    const admin = client(ctx.t.app, (await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id)).token);
    const member = client(ctx.t.app, (await factories.signedInUser(ctx.api, ctx.t.app, 'customer-member', customer.id)).token);
    const mine1 = (await activate(license.key, fp('own'), { name: 'Own 1' })).body.machine;
    const mine2 = (await activate(license.key, fp('own'), { name: 'Own 2' })).body.machine;
    const theirs = (await activate(other.license.key, fp('theirs'), { name: 'Theirs' })).body.machine;

    for (const viewer of [admin, member]) {
      const list = await viewer.get('/v1/machines?limit=100');
      assert.equal(list.status, 200, list.raw);
      assert.deepEqual(new Set(list.body.data.map((m: any) => m.id)), new Set([mine1.id, mine2.id]));
      assert.deepEqual((await viewer.get(`/v1/machines?licenseId=${other.license.id}`)).body.data, []);
    }
    const refused = await member.delete(`/v1/machines/${mine1.id}`);
    assert.equal(refused.status, 403, refused.raw);
    assert.equal(errorCode(refused), 'FORBIDDEN');
    assert.equal((await admin.delete(`/v1/machines/${theirs.id}`)).status, 404);
    assert.equal((await admin.delete(`/v1/machines/${mine1.id}`)).status, 204);
    assert.deepEqual((await member.get('/v1/machines')).body.data.map((m: any) => m.id), [mine2.id]);
    assert.equal((await ctx.api.get(`/v1/machines?licenseId=${other.license.id}`)).body.data.length, 1, "the other organization's machine is untouched");
  });

  test('200 concurrent activations on a 10-seat license: exactly 10 seats', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 10 });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ctx.t.app.inject({ method: 'POST', url: '/v1/machines/activate', payload: { key: license.key, fingerprint: `race-${i}` } }),
      ),
    );
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.statusCode, (statuses.get(a.statusCode) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(statuses), { 201: 10, 422: 190 }, `statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    for (const a of answers.filter((x) => x.statusCode === 422)) assert.equal(JSON.parse(a.body).error.code, 'TOO_MANY_MACHINES');
    const rows = await ctx.t.deps.database.db
      .selectFrom('machines')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('license_id', '=', license.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 10);
    assert.equal(await seats(license.id), 10);
  });
});
