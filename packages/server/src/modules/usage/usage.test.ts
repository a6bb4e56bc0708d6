import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { periodStart } from '../policies/meters.js';

forEachDialect('usage metering', (dialect) => {
  const ctx = useTestApp(dialect);
  const meters = [
    { feature: 'export', limit: 10, period: 'monthly' },
    { feature: 'api-calls', limit: null, period: 'never' },
  ];

  test('credits are spent atomically, never overspent, with alerts at 80% and 100%, and reset monthly', async () => {
    const { license } = await factories.world(ctx.api, { features: ['export'], meters });
    assert.deepEqual(license.meters, meters, 'the license inherits the meters of its policy');
    const app = client(ctx.t.app, undefined);
    const use = (amount: number, feature = 'export') => app.post('/v1/usage', { key: license.key, feature, amount, nonce: 'u' });

    const first = await use(3);
    assert.equal(first.status, 200, first.raw);
    assert.deepEqual([first.body.used, first.body.limit, first.body.remaining, first.body.nonce], [3, 10, 7, 'u']);
    assert.ok(first.headers['keyhaven-signature']);
    assert.equal((await use(5)).body.used, 8);
    const tooMuch = await use(3);
    assert.equal(tooMuch.status, 422);
    assert.equal(tooMuch.body.error.code, 'USAGE_EXHAUSTED');
    assert.deepEqual([tooMuch.body.error.details.used, tooMuch.body.error.details.remaining], [8, 2], 'a refused use spends nothing');
    assert.equal((await use(2)).body.remaining, 0);
    const validate = await app.post('/v1/licenses/validate', { key: license.key, features: ['export'] });
    assert.deepEqual([validate.body.valid, validate.body.code], [false, 'USAGE_EXHAUSTED']);
    assert.equal((await app.post('/v1/licenses/validate', { key: license.key })).body.code, 'VALID', 'only asking for the feature checks its credit');

    const events = await ctx.api.get(`/v1/events?targetId=${license.id}`);
    const actions = events.body.data.map((e: any) => e.action);
    assert.equal(actions.filter((a: string) => a === 'usage.threshold_reached').length, 1);
    assert.equal(actions.filter((a: string) => a === 'usage.exhausted').length, 1);

    const usage = await ctx.api.get(`/v1/licenses/${license.id}/usage`);
    assert.deepEqual(usage.body.data.map((u: any) => [u.feature, u.used, u.remaining]), [['export', 10, 0], ['api-calls', 0, null]]);

    // Next month the counter starts again.
    const now = ctx.t.clock.now();
    ctx.t.clock.set(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 0, 0, 1)));
    assert.equal((await app.post('/v1/licenses/validate', { key: license.key, features: ['export'] })).body.code, 'VALID');
    const fresh = await use(1);
    assert.deepEqual([fresh.body.used, fresh.body.periodStart], [1, periodStart('monthly', ctx.t.clock.now()).toISOString()]);

    // An unlimited meter counts; an unmetered feature is refused.
    assert.deepEqual([(await use(1000, 'api-calls')).body.used, (await use(1, 'api-calls')).body.remaining], [1000, null]);
    const unmetered = await use(1, 'pdf');
    assert.deepEqual([unmetered.status, unmetered.body.error.code], [422, 'FEATURE_NOT_METERED']);
  });

  test('100 concurrent uses of a 50-credit meter: exactly 50 succeed', async () => {
    const { license } = await factories.world(ctx.api, { meters: [{ feature: 'render', limit: 50, period: 'never' }] });
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        ctx.t.app.inject({ method: 'POST', url: '/v1/usage', payload: { key: license.key, feature: 'render' } }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    assert.equal(statuses.filter((s) => s === 200).length, 50);
    assert.equal(statuses.filter((s) => s === 422).length, 50);
    const row = await ctx.t.deps.database.db.selectFrom('usage_counters').selectAll().where('license_id', '=', license.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.used), 50);
  });

  test('a license may override its meters; a suspended license records nothing', async () => {
    const { license } = await factories.world(ctx.api, { meters }, { meters: [{ feature: 'export', limit: 1, period: 'yearly' }] });
    assert.deepEqual(license.meters, [{ feature: 'export', limit: 1, period: 'yearly' }]);
    await ctx.api.post(`/v1/licenses/${license.id}/actions/suspend`);
    const res = await client(ctx.t.app, undefined).post('/v1/usage', { key: license.key, feature: 'export' });
    assert.deepEqual([res.status, res.body.error.code], [422, 'SUSPENDED']);
  });
});
