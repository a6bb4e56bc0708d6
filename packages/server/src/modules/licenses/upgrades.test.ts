import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';

forEachDialect('upgrades', (dialect) => {
  const ctx = useTestApp(dialect);

  test('features, seat packs and policy changes: validated, each an event in the license history', async () => {
    const api = ctx.api;
    const anon = client(ctx.t.app, undefined);
    ctx.t.clock.set('2026-03-01T12:00:00.000Z');
    const product = await factories.product(api);
    const basic = await factories.policy(api, product.id, 'timed', { durationDays: 365, maxMachines: 2, features: ['core'] });
    const pro = await factories.policy(api, product.id, 'timed', { termMonths: 24, maxMachines: 10, features: ['core', 'pro'], graceDays: 14 });
    const perpetual = await factories.policy(api, product.id, 'perpetual', { maxMachines: 5 });
    const license = await factories.license(api, basic.id);

    // Modules.
    const added = await api.post(`/v1/licenses/${license.id}/actions/add-features`, { features: ['reports', 'core', 'reports'] });
    assert.equal(added.status, 200, added.raw);
    assert.deepEqual(added.body.features, ['core', 'reports']);
    assert.equal((await anon.post('/v1/licenses/validate', { key: license.key, features: ['reports'] })).body.code, 'VALID');
    const missing = await api.post(`/v1/licenses/${license.id}/actions/remove-features`, { features: ['reports', 'nope'] });
    assert.deepEqual([missing.status, missing.body.error.code], [422, 'FEATURES_MISSING']);
    const removed = await api.post(`/v1/licenses/${license.id}/actions/remove-features`, { features: ['reports'] });
    assert.deepEqual(removed.body.features, ['core']);
    assert.equal((await anon.post('/v1/licenses/validate', { key: license.key, features: ['reports'] })).body.code, 'FEATURES_MISSING');

    // Seat packs.
    for (const fp of ['a', 'b']) assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: fp })).status, 201);
    assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'c' })).status, 422);
    const seats = await api.post(`/v1/licenses/${license.id}/actions/add-seats`, { seats: 5 });
    assert.equal(seats.body.maxMachines, 7);
    assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'c' })).status, 201);
    const unlimited = await factories.license(api, basic.id, { maxMachines: null });
    assert.equal((await api.post(`/v1/licenses/${unlimited.id}/actions/add-seats`, { seats: 1 })).body.error.code, 'SEATS_UNLIMITED');
    assert.equal((await api.post(`/v1/licenses/${license.id}/actions/add-seats`, { seats: 0 })).status, 400);

    // Change policy, keeping the expiry: the new terms, the same key and expiry.
    const kept = await api.post(`/v1/licenses/${license.id}/actions/change-policy`, { policyId: pro.id, keepExpiry: true });
    assert.equal(kept.status, 200, kept.raw);
    assert.deepEqual(
      [kept.body.policyId, kept.body.maxMachines, kept.body.features, kept.body.graceDays, kept.body.expiresAt],
      [pro.id, 10, ['core', 'pro'], 14, license.expiresAt],
    );
    // ... or resetting it: a new 24-month term from now; to perpetual: no expiry.
    ctx.t.clock.set('2026-06-01T00:00:00.000Z');
    const reset = await api.post(`/v1/licenses/${license.id}/actions/change-policy`, { policyId: pro.id, keepExpiry: false });
    assert.equal(reset.body.expiresAt, '2028-06-01T00:00:00.000Z');
    const forever = await api.post(`/v1/licenses/${license.id}/actions/change-policy`, { policyId: perpetual.id, keepExpiry: false });
    assert.deepEqual([forever.body.expiresAt, forever.body.type, forever.body.maxMachines], [null, 'commercial', 5]);
    const validation = await anon.post('/v1/licenses/validate', { key: license.key });
    assert.equal(validation.body.code, 'VALID', 'the key still works');
    // Another product's policy: refused.
    const other = await factories.policy(api, (await factories.product(api)).id, 'timed');
    const mismatch = await api.post(`/v1/licenses/${license.id}/actions/change-policy`, { policyId: other.id, keepExpiry: true });
    assert.deepEqual([mismatch.status, mismatch.body.error.code], [422, 'POLICY_PRODUCT_MISMATCH']);
    // A subscription policy: the license becomes a subscription.
    const subscription = await factories.policy(api, product.id, 'subscription', { price: 9900, currency: 'EUR' });
    const subscribed = await api.post(`/v1/licenses/${license.id}/actions/change-policy`, { policyId: subscription.id, keepExpiry: false });
    assert.deepEqual([subscribed.body.type, subscribed.body.expiresAt, subscribed.body.subscription.autoRenew], ['subscription', '2027-06-01T00:00:00.000Z', true]);

    // The history, newest first.
    const history = (await api.get(`/v1/licenses/${license.id}/events?limit=100`)).body.data.map((e: any) => e.action);
    const upgrades = history.filter((a: string) => /features|seats|policy_changed/.test(a));
    assert.deepEqual(upgrades, [
      'license.policy_changed',
      'license.policy_changed',
      'license.policy_changed',
      'license.policy_changed',
      'license.seats_added',
      'license.features_removed',
      'license.features_added',
    ]);
    const change = (await api.get(`/v1/licenses/${license.id}/events?limit=100`)).body.data.find((e: any) => e.action === 'license.seats_added');
    assert.deepEqual([change.before.maxMachines, change.after.maxMachines], [2, 7]);
    // Customers cannot upgrade their own licenses.
    const customer = await factories.customer(api);
    const owned = await factories.license(api, basic.id, { customerId: customer.id });
    const admin = await factories.signedInUser(api, ctx.t.app, 'customer-admin', customer.id);
    assert.equal((await client(ctx.t.app, admin.token).post(`/v1/licenses/${owned.id}/actions/add-seats`, { seats: 1 })).status, 403);
  });
  test('a revoked license refuses every upgrade and downgrade alike: add-features, remove-features, add-seats', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', { maxMachines: 2, features: ['core', 'pro'] });
    const license = await factories.license(api, policy.id);
    assert.equal((await api.post(`/v1/licenses/${license.id}/actions/revoke`)).status, 200);
    const historyBefore = (await api.get(`/v1/events?targetId=${license.id}`)).body.data.length;
    const attempts = {
      'add-features': { features: ['extra'] },
      'remove-features': { features: ['pro'] },
      'add-seats': { seats: 1 },
    };
    const answers = [];
    for (const [action, body] of Object.entries(attempts)) {
      const res = await api.post(`/v1/licenses/${license.id}/actions/${action}`, body);
      answers.push([action, res.status, res.body.error?.code, res.body.error?.message]);
    }
    const refusal = [409, 'INVALID_TRANSITION', 'Not possible: a revoked license cannot be upgraded or downgraded'];
    assert.deepEqual(answers, Object.keys(attempts).map((action) => [action, ...refusal]));
    const after = (await api.get(`/v1/licenses/${license.id}`)).body;
    assert.deepEqual([after.features, after.maxMachines], [['core', 'pro'], 2], 'nothing changed');
    assert.equal((await api.get(`/v1/events?targetId=${license.id}`)).body.data.length, historyBefore, 'no history event');
  });
});
