import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';
import { ACTIVATION_REQUEST_LABEL, armor, dearmor, LICENSE_FILE_LABEL, type LicenseFileEnvelope } from './license-file.js';

const DAY = 86_400_000;
/** A floating policy whose lease lapses 120 s after the last heartbeat (60 s + the 60 s tolerance). */
const FLOATING = { floating: true, heartbeatSeconds: 60 };

function payloadOf(text: string) {
  const envelope = dearmor(LICENSE_FILE_LABEL, text) as LicenseFileEnvelope;
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
}

/** Issue 12, item 1: an offline license file stands for a held seat (a borrowed seat). */
forEachDialect('offline files hold seats', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);
  const activate = (key: string, fingerprint: string) => anon().post('/v1/machines/activate', { key, fingerprint });
  const checkout = (key: string, fingerprint?: string, extra: Record<string, unknown> = {}) =>
    anon().post('/v1/licenses/checkout', { key, ...(fingerprint !== undefined ? { fingerprint } : {}), ...extra });
  const activeMachines = async (api: Client, id: string) => (await api.get(`/v1/licenses/${id}`)).body.activeMachines as number;

  test('a 7-day file on a 3-seat floating license keeps its seat after the lease lapses, through the cull, until it expires', async () => {
    const { license, customer } = await factories.world(ctx.api, { maxMachines: 3, ...FLOATING });
    const member = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-member', customer.id);
    assert.equal((await activate(license.key, 'laptop')).status, 201);
    const file = await checkout(license.key, 'laptop', { ttlDays: 7 });
    assert.equal(file.status, 200, file.raw);
    ctx.t.clock.advance(10 * 60_000); // the laptop goes offline: no heartbeat, its lease lapses
    for (const fp of ['pc-1', 'pc-2']) assert.equal((await activate(license.key, fp)).status, 201);
    const fourth = await activate(license.key, 'pc-3');
    assert.equal(fourth.status, 422, 'the laptop still holds its seat while its file is out');
    assert.equal(fourth.body.error.code, 'TOO_MANY_MACHINES');
    assert.equal(await activeMachines(ctx.api, license.id), 3);
    const overview = (await client(ctx.t.app, member.token).get('/v1/stats/overview')).body;
    assert.equal(overview.seats.inUse, 3, "the dashboard's seats in use count the borrowed seat");
    // The lease cull keeps the borrowed machine (a day after its lease lapsed).
    ctx.t.clock.advance(DAY + 60_000);
    await ctx.t.services.machines.cull(100, 0);
    const machines = (await ctx.api.get(`/v1/machines?licenseId=${license.id}`)).body.data.map((m: any) => m.fingerprint);
    assert.deepEqual(machines, ['laptop']);
    for (const fp of ['pc-1', 'pc-2']) assert.equal((await activate(license.key, fp)).status, 201);
    assert.equal((await activate(license.key, 'pc-3')).status, 422);
    // Once the file has expired, the seat is free again.
    ctx.t.clock.set(new Date(Date.parse(payloadOf(file.raw).expiresAt) + 1000));
    for (const fp of ['pc-1', 'pc-2']) assert.equal((await anon().post('/v1/machines/heartbeat', { key: license.key, fingerprint: fp })).status, 422);
    for (const fp of ['pc-1', 'pc-2', 'pc-3']) assert.equal((await activate(license.key, fp)).status, 201, fp);
  });

  test('no unbound files on a license with a seat limit; an unlimited license gets one that says unbound files are allowed', async () => {
    for (const terms of [{ maxMachines: 3 }, { maxMachines: 3, ...FLOATING }]) {
      const { license } = await factories.world(ctx.api, terms);
      const res = await checkout(license.key);
      assert.equal(res.status, 422, res.raw);
      assert.equal(res.body.error.code, 'FINGERPRINT_REQUIRED');
      assert.ok(res.body.error.details.fields.fingerprint);
      assert.equal((await checkout(license.key, 'never-activated')).body.error.code, 'FINGERPRINT_NOT_ACTIVATED');
      await activate(license.key, 'bound');
      const bound = payloadOf((await checkout(license.key, 'bound')).raw);
      assert.deepEqual([bound.fingerprint, bound.unboundAllowed], ['bound', false]);
    }
    const { license: unlimited } = await factories.world(ctx.api, { maxMachines: null });
    const free = await checkout(unlimited.key);
    assert.equal(free.status, 200, free.raw);
    assert.deepEqual([payloadOf(free.raw).fingerprint, payloadOf(free.raw).unboundAllowed], [null, true]);
  });

  test('activate → checkout → deactivate, five times, gives one file and one seat, not five files and none', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1 });
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      const fp = `machine-${i}`;
      if ((await activate(license.key, fp)).status !== 201) continue;
      const file = await checkout(license.key, fp);
      if (file.status === 200) files.push(file.raw);
      const off = await anon().post('/v1/machines/deactivate', { key: license.key, fingerprint: fp });
      assert.equal(off.status, 422, off.raw);
      assert.equal(off.body.error.code, 'SEAT_BORROWED');
      assert.equal(off.body.error.details.borrowedUntil, payloadOf(file.raw).expiresAt);
    }
    assert.equal(files.length, 1);
    assert.equal(await activeMachines(ctx.api, license.id), 1);
    // Staff cannot free the seat either: the file cannot be called back.
    const [machine] = (await ctx.api.get(`/v1/machines?licenseId=${license.id}`)).body.data;
    assert.equal(machine.borrowedUntil, payloadOf(files[0]!).expiresAt);
    const deleted = await ctx.api.delete(`/v1/machines/${machine.id}`);
    assert.equal(deleted.status, 422);
    assert.equal(deleted.body.error.code, 'SEAT_BORROWED');
    assert.deepEqual((await ctx.api.post(`/v1/licenses/${license.id}/actions/reset-machines`)).body, { deactivated: 0, borrowed: 1 });
    assert.equal((await activate(license.key, 'machine-9')).body.error.code, 'TOO_MANY_MACHINES');
    // The app returns its file early: the seat can be freed and taken by another machine.
    const checkin = await anon().post('/v1/licenses/checkin', { key: license.key, fingerprint: 'machine-0', nonce: 'n-in' });
    assert.equal(checkin.status, 200, checkin.raw);
    assert.ok(checkin.headers['keyhaven-signature']);
    assert.deepEqual([checkin.body.machine.borrowedUntil, checkin.body.nonce], [null, 'n-in']);
    assert.equal((await anon().post('/v1/machines/deactivate', { key: license.key, fingerprint: 'machine-0' })).status, 204);
    assert.equal((await activate(license.key, 'machine-9')).status, 201);
    const events = (await ctx.api.get(`/v1/licenses/${license.id}/events`)).body.data.map((e: any) => e.action);
    assert.ok(events.includes('license.checked_in'));
  });

  test('the policy sets the longest file lifetime: a longer ttlDays is clamped, and the seat is borrowed for that long only', async () => {
    // A policy that names no lifetime allows the old default, 30 days, not the 365 a client asks for.
    const { license: standard, policy: standardPolicy } = await factories.world(ctx.api, { maxMachines: 1 });
    await activate(standard.key, 'desk');
    assert.equal(payloadOf((await checkout(standard.key, 'desk', { ttlDays: 365 })).raw).ttlDays, 30);
    assert.equal(standardPolicy.offlineMaxDays, 30);
    assert.equal((await ctx.api.patch(`/v1/policies/${standardPolicy.id}`, { offlineMaxDays: 366 })).status, 400);
    assert.equal((await ctx.api.patch(`/v1/policies/${standardPolicy.id}`, { offlineMaxDays: 90 })).body.offlineMaxDays, 90);
    const { license, policy } = await factories.world(ctx.api, { maxMachines: 2, ...FLOATING, offlineMaxDays: 7 });
    assert.equal(policy.offlineMaxDays, 7);
    await activate(license.key, 'laptop');
    const now = ctx.t.clock.now().getTime();
    const file = payloadOf((await checkout(license.key, 'laptop', { ttlDays: 365 })).raw);
    assert.equal(file.ttlDays, 7);
    assert.equal(Date.parse(file.expiresAt), now + 7 * DAY);
    assert.equal((await checkout(license.key, 'laptop', { ttlDays: 366 })).status, 400, 'past any policy: a schema error');
    // The floating seat is free again 7 days on, not 365.
    ctx.t.clock.set(new Date(now + 7 * DAY + 1000));
    for (const fp of ['a', 'b']) assert.equal((await activate(license.key, fp)).status, 201, fp);
  });

  test('parallel checkouts and activations on the last seat never exceed the limit, during the lease or after it lapses', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 2, ...FLOATING });
    assert.equal((await activate(license.key, 'holder')).status, 201);
    // Unbound checkouts all refused; per machine, activate then check out: one machine gets the last seat.
    const racers = Array.from({ length: 6 }, (_, i) => `racer-${i}`);
    const outcomes = await Promise.all([
      ...racers.map(async (fp) => ((await activate(license.key, fp)).status === 201 ? (await checkout(license.key, fp)).status : 0)),
      ...racers.map(async () => (await checkout(license.key)).status),
    ]);
    assert.equal(outcomes.slice(0, 6).filter((s) => s === 200).length, 1, JSON.stringify(outcomes));
    assert.deepEqual(outcomes.slice(6), [422, 422, 422, 422, 422, 422]);
    const winner = (await ctx.api.get(`/v1/machines?licenseId=${license.id}`)).body.data.find((m: any) => m.borrowedUntil !== null).fingerprint;
    // The holder checks out while others try to activate: still two seats.
    const race = await Promise.all([checkout(license.key, 'holder'), checkout(license.key, winner), ...racers.map((fp) => activate(license.key, `${fp}-b`))]);
    assert.deepEqual(race.slice(0, 2).map((r) => r.status), [200, 200]);
    assert.ok(race.slice(2).every((r) => r.status === 422 && r.body.error.code === 'TOO_MANY_MACHINES'));
    // Every lease lapses; both files are out, so both seats stay taken.
    ctx.t.clock.advance(10 * 60_000);
    const late = await Promise.all(racers.map((fp) => activate(license.key, `${fp}-c`)));
    assert.ok(late.every((r) => r.status === 422), JSON.stringify(late.map((r) => r.status)));
    assert.equal(await activeMachines(ctx.api, license.id), 2);
  });

  test('offline activation holds its seat the same way, and a lapsed lease cannot check out', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1, ...FLOATING });
    const request = armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'air-gapped' });
    const res = await ctx.api.post('/v1/machines/offline-activations', { request, ttlDays: 14 });
    assert.equal(res.status, 201, res.raw);
    assert.deepEqual([payloadOf(res.raw).fingerprint, payloadOf(res.raw).ttlDays], ['air-gapped', 14]);
    ctx.t.clock.advance(DAY); // no heartbeat will ever come from an air-gapped machine
    await ctx.t.services.machines.cull(100, 0);
    assert.equal((await activate(license.key, 'online-pc')).body.error.code, 'TOO_MANY_MACHINES');
    assert.equal((await ctx.api.post('/v1/machines/offline-activations', { request: armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'lab-2' }) })).status, 422);
    // A machine whose lease lapsed without a file out has no seat to lend.
    ctx.t.clock.advance(14 * DAY);
    assert.equal((await activate(license.key, 'online-pc')).status, 201);
    ctx.t.clock.advance(10 * 60_000);
    const lapsed = await checkout(license.key, 'online-pc');
    assert.equal(lapsed.status, 422);
    assert.equal(lapsed.body.error.code, 'HEARTBEAT_DEAD');
  });

  test('check-in is the app\'s word: moving the seat after it is a client deactivation, bounded by the policy window', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1, activationLimits: { activations: null, deactivations: 1, periodDays: 30 } });
    const files: string[] = [];
    const outcomes: string[] = [];
    for (const fp of ['a', 'b', 'c']) {
      const on = await activate(license.key, fp);
      if (on.status !== 201) {
        outcomes.push(on.body.error.code);
        break;
      }
      files.push((await checkout(license.key, fp)).raw);
      await anon().post('/v1/licenses/checkin', { key: license.key, fingerprint: fp }); // a modified app keeps its copy
      const off = await anon().post('/v1/machines/deactivate', { key: license.key, fingerprint: fp });
      outcomes.push(off.status === 204 ? 'moved' : off.body.error.code);
    }
    assert.deepEqual(outcomes, ['moved', 'DEACTIVATION_LIMIT_REACHED', 'TOO_MANY_MACHINES']);
    assert.equal(files.length, 2);
  });

  test('checkin: unknown machines are 404, a machine with no file out is a no-op, a named user with a file out cannot be removed', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1, maxUsers: 2 });
    assert.equal((await anon().post('/v1/licenses/checkin', { key: license.key, fingerprint: 'nobody' })).status, 404);
    assert.equal((await anon().post('/v1/licenses/checkin', { key: 'AAAA-BBBB', fingerprint: 'nobody' })).body.error.code, 'VALIDATION_FAILED');
    const user = (await ctx.api.post(`/v1/licenses/${license.id}/users`, { identifier: 'ana@example.com' })).body;
    assert.equal((await anon().post('/v1/machines/activate', { key: license.key, fingerprint: 'ana-pc', user: 'ana@example.com' })).status, 201);
    const idle = await anon().post('/v1/licenses/checkin', { key: license.key, fingerprint: 'ana-pc' });
    assert.deepEqual([idle.status, idle.body.machine.borrowedUntil], [200, null]);
    assert.equal((await checkout(license.key, 'ana-pc')).status, 200);
    const removed = await ctx.api.delete(`/v1/licenses/${license.id}/users/${user.id}`);
    assert.equal(removed.status, 422);
    assert.equal(removed.body.error.code, 'SEAT_BORROWED');
    assert.equal((await anon().post('/v1/licenses/checkin', { key: license.key, fingerprint: 'ana-pc' })).status, 200);
    assert.equal((await ctx.api.delete(`/v1/licenses/${license.id}/users/${user.id}`)).status, 204);
  });
});
