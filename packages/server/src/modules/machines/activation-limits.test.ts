import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('activation anti-abuse limits', (dialect) => {
  const ctx = useTestApp(dialect);

  test('deactivate → activate cycles stop at the policy limits; staff releases do not count; the window rolls', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1, activationLimits: { activations: 3, deactivations: 2, periodDays: 30 } });
    const app = client(ctx.t.app, undefined);
    const activate = (fingerprint: string) => app.post('/v1/machines/activate', { key: license.key, fingerprint });
    const deactivate = (fingerprint: string) => app.post('/v1/machines/deactivate', { key: license.key, fingerprint });

    assert.equal((await activate('fp-1')).status, 201);
    assert.equal((await activate('fp-1')).status, 200, 'the same machine again takes no new activation');
    assert.equal((await deactivate('fp-1')).status, 204);
    assert.equal((await activate('fp-2')).status, 201);
    assert.equal((await deactivate('fp-2')).status, 204);
    assert.equal((await activate('fp-3')).status, 201);
    const refusedDeactivation = await deactivate('fp-3');
    assert.deepEqual([refusedDeactivation.status, refusedDeactivation.body.error.code], [422, 'DEACTIVATION_LIMIT_REACHED']);
    assert.equal((await ctx.api.get(`/v1/machines?licenseId=${license.id}`)).body.data.length, 1, 'the seat is still taken');

    // Staff (or a customer admin) can still free the seat; that does not count against the application.
    const [machine] = (await ctx.api.get(`/v1/machines?licenseId=${license.id}`)).body.data;
    assert.equal((await ctx.api.delete(`/v1/machines/${machine.id}`)).status, 204);
    const refusedActivation = await activate('fp-4');
    assert.deepEqual([refusedActivation.status, refusedActivation.body.error.code], [422, 'ACTIVATION_LIMIT_REACHED']);
    assert.deepEqual([refusedActivation.body.error.details.activations, refusedActivation.body.error.details.allowed], [3, 3]);

    const events = (await ctx.api.get(`/v1/events?targetId=${license.id}&limit=100`)).body.data.map((e: any) => e.action);
    assert.ok(events.includes('machine.activation_limit_reached'));
    assert.ok(events.includes('machine.deactivation_limit_reached'));

    ctx.t.clock.advanceDays(31);
    assert.equal((await activate('fp-4')).status, 201, 'a new window allows activations again');
  });

  test('a policy without limits allows any number of cycles', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1 });
    const app = client(ctx.t.app, undefined);
    for (let i = 0; i < 6; i++) {
      assert.equal((await app.post('/v1/machines/activate', { key: license.key, fingerprint: `cycle-${i}` })).status, 201);
      assert.equal((await app.post('/v1/machines/deactivate', { key: license.key, fingerprint: `cycle-${i}` })).status, 204);
    }
  });
});

forEachDialect('reset machines', (dialect) => {
  const ctx = useTestApp(dialect);
  test('staff free every seat of a license at once, recorded in its history', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 2 });
    const app = client(ctx.t.app, undefined);
    for (const fingerprint of ['a', 'b']) assert.equal((await app.post('/v1/machines/activate', { key: license.key, fingerprint })).status, 201);
    assert.equal((await app.post('/v1/machines/activate', { key: license.key, fingerprint: 'c' })).status, 422);
    const reset = await ctx.api.post(`/v1/licenses/${license.id}/actions/reset-machines`);
    assert.deepEqual([reset.status, reset.body.deactivated], [200, 2]);
    assert.equal((await ctx.api.get(`/v1/licenses/${license.id}`)).body.activeMachines, 0);
    assert.equal((await app.post('/v1/machines/activate', { key: license.key, fingerprint: 'c' })).status, 201);
    const history = await ctx.api.get(`/v1/licenses/${license.id}/events?limit=100`);
    assert.ok(history.body.data.some((e: any) => e.action === 'license.machines_reset' && e.before.machines.length === 2));
  });
});

forEachDialect('seat overdraft', (dialect) => {
  const ctx = useTestApp(dialect);
  test('×1.25 on 4 seats: the 5th machine is granted with a warning and an alert, the 6th refused', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 4, overdraft: { factor: 1.25 } });
    const app = client(ctx.t.app, undefined);
    const activate = (fingerprint: string) => app.post('/v1/machines/activate', { key: license.key, fingerprint });
    for (let i = 0; i < 4; i++) {
      const res = await activate(`m-${i}`);
      assert.deepEqual([res.status, res.body.warning], [201, undefined]);
    }
    const fifth = await activate('m-4');
    assert.deepEqual([fifth.status, fifth.body.warning, fifth.body.license.activeMachines], [201, 'OVERDRAFT', 5]);
    const sixth = await activate('m-5');
    assert.deepEqual([sixth.status, sixth.body.error.code, sixth.body.error.details.hardLimit], [422, 'TOO_MANY_MACHINES', 5]);
    const validation = await app.post('/v1/licenses/validate', { key: license.key, fingerprint: 'm-0' });
    assert.deepEqual([validation.body.valid, validation.body.code], [true, 'OVERDRAFT']);
    const events = (await ctx.api.get(`/v1/events?targetId=${license.id}&action=machine.overdraft_used`)).body.data;
    assert.equal(events.length, 1);
    await app.post('/v1/machines/deactivate', { key: license.key, fingerprint: 'm-4' });
    assert.equal((await app.post('/v1/licenses/validate', { key: license.key, fingerprint: 'm-0' })).body.code, 'VALID');
  });

  test('+2 seats on a 1-seat license', async () => {
    const { license } = await factories.world(ctx.api, { maxMachines: 1, overdraft: { seats: 2 } });
    const app = client(ctx.t.app, undefined);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.post('/v1/machines/activate', { key: license.key, fingerprint: `s-${i}` })).status);
    assert.deepEqual(statuses, [201, 201, 201, 422]);
  });
});

forEachDialect('activation by customer sign-in', (dialect) => {
  const ctx = useTestApp(dialect);
  test('a signed-in customer picks one of its licenses for the product and activates without the key', async () => {
    const { product, license, customer } = await factories.world(ctx.api, { maxMachines: 1 });
    const other = await factories.world(ctx.api);
    const member = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-member', customer.id);
    const app = client(ctx.t.app, member.token);
    const mine = await app.get(`/v1/licenses?productId=${product.id}`);
    assert.deepEqual(mine.body.data.map((l: any) => l.id), [license.id]);
    const activated = await app.post(`/v1/licenses/${license.id}/machines`, { fingerprint: 'laptop-1', name: 'Jo laptop', nonce: 'k' });
    assert.equal(activated.status, 201, activated.raw);
    assert.deepEqual([activated.body.machine.name, activated.body.license.activeMachines, activated.body.nonce], ['Jo laptop', 1, 'k']);
    assert.ok(activated.headers['keyhaven-signature'], 'the answer is signed like the key-based one');
    assert.equal((await app.post(`/v1/licenses/${license.id}/machines`, { fingerprint: 'laptop-1' })).status, 200);
    assert.equal((await app.post(`/v1/licenses/${license.id}/machines`, { fingerprint: 'laptop-2' })).body.error.code, 'TOO_MANY_MACHINES');
    assert.equal((await app.post(`/v1/licenses/${other.license.id}/machines`, { fingerprint: 'laptop-1' })).status, 404, 'not its organization');
    const validation = await client(ctx.t.app, undefined).post('/v1/licenses/validate', { key: license.key, fingerprint: 'laptop-1' });
    assert.equal(validation.body.code, 'VALID');
    const events = (await ctx.api.get(`/v1/events?targetId=${license.id}&action=machine.activated`)).body.data;
    assert.deepEqual([events[0].actor.type, events[0].actor.id], ['user', member.user.id]);
  });
});

forEachDialect('per-user licensing', (dialect) => {
  const ctx = useTestApp(dialect);
  test('named users are the seats; each user may use maxMachines machines; removing a user frees its machines', async () => {
    const { license, customer } = await factories.world(ctx.api, { maxUsers: 2, maxMachines: 2 });
    assert.deepEqual([license.maxUsers, license.maxMachines], [2, 2]);
    const anna = await ctx.api.post(`/v1/licenses/${license.id}/users`, { identifier: 'Anna@Example.com', name: 'Anna' });
    assert.equal(anna.status, 201);
    assert.equal(anna.body.identifier, 'anna@example.com');
    // A customer admin manages its own organization's users.
    const admin = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id);
    const ben = await client(ctx.t.app, admin.token).post(`/v1/licenses/${license.id}/users`, { identifier: 'ben@example.com' });
    assert.equal(ben.status, 201);
    const third = await ctx.api.post(`/v1/licenses/${license.id}/users`, { identifier: 'cleo@example.com' });
    assert.deepEqual([third.status, third.body.error.code], [422, 'TOO_MANY_USERS']);
    assert.equal((await ctx.api.post(`/v1/licenses/${license.id}/users`, { identifier: 'ANNA@example.com' })).status, 409);

    const app = client(ctx.t.app, undefined);
    const activate = (fingerprint: string, user?: string) => app.post('/v1/machines/activate', { key: license.key, fingerprint, ...(user ? { user } : {}) });
    const missing = await activate('x');
    assert.deepEqual([missing.status, missing.body.error.code], [422, 'USER_NOT_ASSIGNED']);
    assert.equal((await activate('x', 'mallory@example.com')).body.error.code, 'USER_NOT_ASSIGNED');
    for (const fp of ['anna-1', 'anna-2']) assert.equal((await activate(fp, 'anna@example.com')).status, 201);
    assert.equal((await activate('anna-3', 'anna@example.com')).body.error.code, 'TOO_MANY_MACHINES', 'two machines per user');
    const benMachine = await activate('ben-1', 'BEN@example.com');
    assert.deepEqual([benMachine.status, benMachine.body.machine.userId, benMachine.body.license.activeMachines], [201, ben.body.id, 3]);

    assert.equal((await ctx.api.delete(`/v1/licenses/${license.id}/users/${anna.body.id}`)).status, 204);
    const users = await ctx.api.get(`/v1/licenses/${license.id}/users`);
    assert.deepEqual(users.body.data.map((u: any) => u.identifier), ['ben@example.com']);
    assert.equal((await ctx.api.get(`/v1/licenses/${license.id}`)).body.activeMachines, 1, "anna's machines were freed");
    assert.equal((await app.post('/v1/licenses/validate', { key: license.key, fingerprint: 'anna-1' })).body.code, 'FINGERPRINT_NOT_ACTIVATED');
  });
});
