import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openDatabase } from '../../db/database.js';
import { createServices } from '../../services.js';
import { client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';

const DAY = 86_400_000;

async function outbox(api: Client, query: string): Promise<any[]> {
  const res = await api.get(`/v1/outbox?${query}&limit=100`);
  assert.equal(res.status, 200, res.raw);
  return res.body.data;
}

forEachDialect('settings', (dialect) => {
  describe('reading and changing settings', () => {
    const ctx = useTestApp(dialect, { config: { alertEmails: ['ops@vendor.example'], alertExpiryDays: 7 } });

    test('defaults: the environment values, marked as defaults, for every staff role; customers are refused', async () => {
      const res = await ctx.api.get('/v1/settings');
      assert.equal(res.status, 200, res.raw);
      assert.deepEqual(res.body.reminderDays, { value: [30, 15, 5, 3, 1], default: [30, 15, 5, 3, 1], source: 'default', updatedAt: null, updatedBy: null });
      assert.deepEqual(res.body.remindAutoRenewing, { value: false, default: false, source: 'default', updatedAt: null, updatedBy: null });
      assert.deepEqual(res.body.alertEmails.value, ['ops@vendor.example']);
      assert.equal(res.body.alertExpiryDays.value, 7);
      const readOnly = await factories.signedInUser(ctx.api, ctx.t.app, 'read-only');
      const asReadOnly = client(ctx.t.app, readOnly.token);
      assert.equal((await asReadOnly.get('/v1/settings')).status, 200);
      const refused = await asReadOnly.patch('/v1/settings', { alertExpiryDays: 3 });
      assert.equal(refused.status, 403, refused.raw);
      const customer = await factories.customer(ctx.api);
      const member = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id);
      assert.equal((await client(ctx.t.app, member.token).get('/v1/settings')).status, 403);
    });

    test('update: stored values override the defaults, who and when are kept, one audit event; null resets', async () => {
      const t = ctx.t;
      t.clock.set('2030-01-02T03:04:05.000Z');
      const admin = await factories.signedInUser(ctx.api, t.app, 'admin');
      const asAdmin = client(t.app, admin.token);
      const res = await asAdmin.patch('/v1/settings', { reminderDays: [7, 60, 14], remindAutoRenewing: true, alertEmails: ['Billing@Vendor.example', 'cto@vendor.example'] });
      assert.equal(res.status, 200, res.raw);
      assert.deepEqual(res.body.reminderDays, { value: [60, 14, 7], default: [30, 15, 5, 3, 1], source: 'set', updatedAt: '2030-01-02T03:04:05.000Z', updatedBy: admin.email });
      assert.equal(res.body.remindAutoRenewing.value, true);
      assert.deepEqual(res.body.alertEmails.value, ['billing@vendor.example', 'cto@vendor.example']);
      assert.equal(res.body.alertExpiryDays.source, 'default', 'settings not named stay as they were');
      assert.deepEqual((await ctx.api.get('/v1/settings')).body, res.body);
      assert.deepEqual(await t.services.settings.current(), { reminderDays: [60, 14, 7], remindAutoRenewing: true, alertEmails: ['billing@vendor.example', 'cto@vendor.example'], alertExpiryDays: 7 });

      const events = (await ctx.api.get('/v1/events?action=settings.updated')).body.data;
      assert.equal(events.length, 1);
      assert.deepEqual(events[0].before.reminderDays, { value: [30, 15, 5, 3, 1], source: 'default' });
      assert.deepEqual(events[0].after.reminderDays, { value: [60, 14, 7], source: 'set' });
      assert.equal(events[0].after.alertExpiryDays, undefined);

      // Setting again overwrites; null goes back to the default.
      assert.equal((await asAdmin.patch('/v1/settings', { reminderDays: [45] })).body.reminderDays.value[0], 45);
      const reset = await asAdmin.patch('/v1/settings', { reminderDays: null, remindAutoRenewing: null, alertEmails: [] });
      assert.equal(reset.status, 200, reset.raw);
      assert.deepEqual(reset.body.reminderDays, { value: [30, 15, 5, 3, 1], default: [30, 15, 5, 3, 1], source: 'default', updatedAt: null, updatedBy: null });
      assert.equal(reset.body.remindAutoRenewing.source, 'default');
      assert.deepEqual(reset.body.alertEmails, { value: [], default: ['ops@vendor.example'], source: 'set', updatedAt: '2030-01-02T03:04:05.000Z', updatedBy: admin.email });
      assert.equal((await ctx.api.patch('/v1/settings', { alertEmails: null })).body.alertEmails.source, 'default');
      assert.equal((await ctx.api.get('/v1/events?action=settings.updated')).body.data.length, 4);
    });

    test('validation: 400 SETTING_INVALID with the setting and a stable reason; nothing is stored', async () => {
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ reminderDays: [0, 5] }, 'reminderDays', 'OUT_OF_RANGE'],
        [{ reminderDays: [366] }, 'reminderDays', 'OUT_OF_RANGE'],
        [{ reminderDays: [5, 3, 5] }, 'reminderDays', 'DUPLICATE'],
        [{ reminderDays: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, 'reminderDays', 'TOO_MANY'],
        [{ alertEmails: ['not-an-address'] }, 'alertEmails', 'INVALID_EMAIL'],
        [{ alertEmails: ['Ann <ann@example.com>'] }, 'alertEmails', 'INVALID_EMAIL'],
        [{ alertEmails: ['a@example.com', 'A@example.com'] }, 'alertEmails', 'DUPLICATE'],
        [{ alertEmails: Array.from({ length: 21 }, (_, i) => `staff${i}@example.com`) }, 'alertEmails', 'TOO_MANY'],
        [{ alertExpiryDays: 0 }, 'alertExpiryDays', 'OUT_OF_RANGE'],
        [{ alertExpiryDays: 400 }, 'alertExpiryDays', 'OUT_OF_RANGE'],
        // One bad setting refuses the whole change.
        [{ alertExpiryDays: 10, reminderDays: [-1] }, 'reminderDays', 'OUT_OF_RANGE'],
      ];
      for (const [body, setting, reason] of cases) {
        const res = await ctx.api.patch('/v1/settings', body);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.raw}`);
        assert.equal(res.body.error.code, 'SETTING_INVALID');
        assert.equal(res.body.error.details.setting, setting, JSON.stringify(body));
        assert.equal(res.body.error.details.reason, reason, JSON.stringify(body));
      }
      // Shapes are the schema's: fractions, strings, unknown settings and an empty change.
      for (const body of [{ reminderDays: [1.5] }, { alertExpiryDays: '7' }, { colour: 'red' }, {}]) {
        const res = await ctx.api.patch('/v1/settings', body);
        assert.equal(res.status, 400, res.raw);
        assert.equal(res.body.error.code, 'VALIDATION_FAILED', JSON.stringify(body));
      }
      const after = (await ctx.api.get('/v1/settings')).body;
      assert.equal(after.alertExpiryDays.source, 'default');
      assert.equal(after.reminderDays.source, 'default');
    });

    test('a stored value this version does not accept (edited by hand) counts as not set', async () => {
      const { db } = ctx.t.deps.database;
      await db.insertInto('settings').values({ key: 'alertExpiryDays', value: '"soon"', updated_at: ctx.t.clock.now().toISOString(), updated_by: 'psql' }).execute();
      await db.insertInto('settings').values({ key: 'somethingElse', value: '1', updated_at: ctx.t.clock.now().toISOString(), updated_by: 'psql' }).execute();
      const res = await ctx.api.get('/v1/settings');
      assert.equal(res.status, 200, res.raw);
      assert.deepEqual([res.body.alertExpiryDays.value, res.body.alertExpiryDays.source], [7, 'default']);
      assert.equal((await ctx.t.services.settings.current()).alertExpiryDays, 7);
      await db.deleteFrom('settings').execute();
    });
  });

  describe('the reminder sweep and staff alerts use the stored values at once', () => {
    const ctx = useTestApp(dialect);

    test('a new reminder offset applies at the next sweep, without a restart, in every process', async () => {
      const t = ctx.t;
      const api = ctx.api;
      t.clock.set('2031-01-01T00:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'timed', { durationDays: 400 });
      const customer = await factories.customer(api);
      const expiresAt = new Date(t.clock.now().getTime() + 45 * DAY).toISOString();
      const license = await factories.license(api, policy.id, { customerId: customer.id, startsAt: '2030-01-01T00:00:00.000Z', expiresAt });

      // The defaults (longest 30 days): 45 days out is not due yet.
      assert.deepEqual(await t.services.reminders.sweep(), { reminders: 0, expired: 0, jobs: 0 });
      assert.equal((await api.patch('/v1/settings', { reminderDays: [60, 10] })).status, 200);

      // Another process (its own connection and services, built before the change) sees it at its next sweep.
      const other = dialect === 'postgres' ? openDatabase(t.deps.config.database) : undefined;
      try {
        const services = other ? createServices({ ...t.deps, database: other }) : t.services;
        assert.deepEqual((await services.settings.current()).reminderDays, [60, 10]);
        const swept = await services.reminders.sweep();
        assert.equal(swept.reminders, 1);
      } finally {
        await other?.close();
      }
      await t.services.worker.drain();
      const sent = await t.deps.database.db.selectFrom('reminders_sent').select(['license_id', 'offset_days']).where('license_id', '=', license.id).execute();
      assert.deepEqual(sent, [{ license_id: license.id, offset_days: 60 }]);
      const mails = await outbox(api, `customerId=${customer.id}&template=license.expiring`);
      assert.equal(mails.length, 1);
      assert.match(mails[0].text, /45 days/);
      // The notices feed's default window follows the longest offset too (60 days: 45 days out is "expiring soon").
      const notices = await client(t.app, undefined).post('/v1/notices', { key: license.key });
      assert.equal(notices.status, 200, notices.raw);
      assert.ok(notices.body.notices.some((n: any) => n.code === 'EXPIRING_SOON'), notices.raw);

      // Back to the defaults: nothing is due until 30 days out, and then the 30-day reminder is.
      assert.equal((await api.patch('/v1/settings', { reminderDays: null })).status, 200);
      t.clock.set(new Date(Date.parse(expiresAt) - 20 * DAY));
      assert.equal((await t.services.reminders.sweep()).reminders, 1);
      await t.services.worker.drain();
      const offsets = (await t.deps.database.db.selectFrom('reminders_sent').select('offset_days').where('license_id', '=', license.id).execute()).map((r) => r.offset_days);
      assert.deepEqual(offsets.sort((a, b) => a - b), [30, 60]);
    });

    test('alert recipients and the nearing-expiry window come from the stored settings', async () => {
      const t = ctx.t;
      const api = ctx.api;
      t.clock.set('2033-06-01T00:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'timed', { durationDays: 20 });
      const customer = await factories.customer(api);
      const license = await factories.license(api, policy.id, { customerId: customer.id });
      // No recipients by default: nothing is recorded.
      assert.equal(await t.services.alerts.sweepExpiring(), 0);
      assert.equal((await api.patch('/v1/settings', { alertEmails: ['night-shift@vendor.example'], alertExpiryDays: 10 })).status, 200);
      assert.equal(await t.services.alerts.sweepExpiring(), 0, '20 days out is beyond 10 days');
      assert.equal((await api.patch('/v1/settings', { alertExpiryDays: 30 })).status, 200);
      assert.equal(await t.services.alerts.sweepExpiring(), 1);
      const digest = (await outbox(api, 'template=staff.alert'))[0];
      assert.deepEqual(digest.to, ['night-shift@vendor.example']);
      assert.match(digest.subject, /expire within 30 days/);
      assert.ok(digest.text.includes(license.id));
      // An event-raised alert (seat limit) reads the recipients inside the refusal's own transaction.
      const seats = await factories.world(api, { maxMachines: 1 });
      const anon = client(t.app, undefined);
      assert.equal((await anon.post('/v1/machines/activate', { key: seats.license.key, fingerprint: 'a' })).status, 201);
      assert.equal((await anon.post('/v1/machines/activate', { key: seats.license.key, fingerprint: 'b' })).status, 422);
      const seatAlert = (await outbox(api, 'template=staff.alert')).find((m) => m.subject.includes('Seat limit'));
      assert.deepEqual(seatAlert?.to, ['night-shift@vendor.example']);
    });
  });
});
