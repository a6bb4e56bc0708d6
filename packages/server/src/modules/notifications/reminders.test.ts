import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { openDatabase } from '../../db/database.js';
import { createServices } from '../../services.js';
import { client, factories, forEachDialect, useTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { verifySignature } from '../../testing/signatures.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

async function outbox(api: Client, query: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const res: any = await api.get(`/v1/outbox?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(res.status, 200, res.raw);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

async function countEvents(t: TestApp, action: string, licenseIds: string[]): Promise<Map<string, number>> {
  const rows = await t.deps.database.db.selectFrom('events').select('target_id').where('action', '=', action).where('target_id', 'in', licenseIds).execute();
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.target_id, (counts.get(r.target_id) ?? 0) + 1);
  return counts;
}

forEachDialect('reminders', (dialect) => {
  describe('customer reminders', () => {
    const ctx = useTestApp(dialect);
    let api: Client;
    before(() => {
      api = ctx.api;
    });

    test('exactly once per license, term and offset: repeated sweeps, a job run twice, two workers on separate connections', async () => {
      const t = ctx.t;
      t.clock.set('2027-01-01T00:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'timed', { durationDays: 400 });
      const customer = await factories.customer(api);
      // 60 licenses whose expiries put them in every offset's window (and some in none).
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const expiresAt = new Date(Date.parse('2027-01-01T00:00:00.000Z') + (i * 12 + 1) * HOUR).toISOString();
        ids.push((await factories.license(api, policy.id, { customerId: customer.id, startsAt: '2026-01-01T00:00:00.000Z', expiresAt })).id);
      }
      // On PostgreSQL: two complete service sets on their own database connections, as two worker processes
      // would have. SQLite serves one process (one connection): there the app's own services race themselves.
      const handles = dialect === 'postgres' ? [openDatabase(t.deps.config.database), openDatabase(t.deps.config.database)] : [];
      try {
        const sets = dialect === 'postgres' ? handles.map((database) => createServices({ ...t.deps, database })) : [t.services, t.services];
        for (let round = 0; round < 3; round++) {
          await Promise.all(sets.map((s) => s.reminders.sweep()));
          await Promise.all([...new Set(sets.map((s) => s.worker))].map((worker) => worker.drain()));
        }
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
      const { db } = t.deps.database;
      const rows = await db.selectFrom('reminders_sent').select(['license_id', 'offset_days']).where('license_id', 'in', ids).execute();
      const keys = rows.map((r) => `${r.license_id}:${r.offset_days}`);
      assert.equal(new Set(keys).size, keys.length);
      // Every license expiring within 30 days got exactly the reminder of its nearest offset.
      assert.equal(rows.length, ids.length);
      const mails = await outbox(api, `customerId=${customer.id}&template=license.expiring`);
      assert.equal(mails.length, ids.length, 'one mail per reminder');
      const events = await countEvents(t, 'license.expiring', ids);
      assert.ok([...events.values()].every((n) => n === 1) && events.size === ids.length, 'one event per reminder');

      // A reminder job that runs again (a retry after a crash before it was marked done) sends nothing.
      const first = rows[0]!;
      const license = (await api.get(`/v1/licenses/${first.license_id}`)).body;
      await t.services.jobs.enqueue(db, { type: 'reminders.send', payload: { reminders: [{ licenseId: license.id, expiresAt: license.expiresAt, offset: first.offset_days }] } });
      await t.services.worker.drain();
      assert.equal((await outbox(api, `customerId=${customer.id}&template=license.expiring`)).length, ids.length);
      assert.equal((await countEvents(t, 'license.expiring', [license.id])).get(license.id), 1);

      // A day later the licenses that reached their next offset get that one, once.
      t.clock.set('2027-01-02T01:00:00.000Z');
      await t.services.reminders.sweep();
      await t.services.reminders.sweep();
      await t.services.worker.drain();
      const after = await db.selectFrom('reminders_sent').select(['license_id', 'offset_days']).where('license_id', 'in', ids).execute();
      const afterKeys = after.map((r) => `${r.license_id}:${r.offset_days}`);
      assert.equal(new Set(afterKeys).size, afterKeys.length);
      const remindersAfter = after.filter((r) => r.offset_days > 0);
      assert.ok(remindersAfter.length > rows.length);
      assert.equal((await outbox(api, `customerId=${customer.id}&template=license.expiring`)).length, remindersAfter.length);
      // The three that expired meanwhile (1, 13 and 25 hours in) got the expired notice instead.
      assert.equal(after.filter((r) => r.offset_days === 0).length, 3);
      assert.equal((await outbox(api, `customerId=${customer.id}&template=license.expired`)).length, 3);
    });

    test('who is reminded: not revoked, suspended, auto-renewing or customer-less licenses; trials get trial.ending, but not at their start; the expired notice once', async () => {
      const t = ctx.t;
      t.clock.set('2028-06-01T00:00:00.000Z');
      const product = await factories.product(api, { url: 'https://shop.example.com/photon' });
      const timed = await factories.policy(api, product.id, 'timed', { durationDays: 60 });
      const trialPolicy = await factories.policy(api, product.id, 'trial', { durationDays: 5 });
      const subscription = await factories.policy(api, product.id, 'subscription', { termMonths: 2 });
      const customer = await factories.customer(api);
      const ok = await factories.license(api, timed.id, { customerId: customer.id });
      const revoked = await factories.license(api, timed.id, { customerId: customer.id });
      const suspended = await factories.license(api, timed.id, { customerId: customer.id });
      const orphan = await factories.license(api, timed.id);
      const renewing = await factories.license(api, subscription.id, { customerId: customer.id, expiresAt: ok.expiresAt });
      const trial = await factories.license(api, trialPolicy.id, { customerId: customer.id });
      await api.post(`/v1/licenses/${revoked.id}/actions/revoke`);
      await api.post(`/v1/licenses/${suspended.id}/actions/suspend`);
      // At its start a 5-day trial is not told it ends in 5 days.
      await t.services.reminders.sweep();
      await t.services.worker.drain();
      assert.equal((await outbox(api, `customerId=${customer.id}&template=trial.ending`)).length, 0);
      // Two days in: 3 days left.
      t.clock.set(new Date(Date.parse(trial.expiresAt) - 3 * DAY + HOUR));
      await t.services.reminders.sweep();
      await t.services.worker.drain();
      const trialMails = await outbox(api, `customerId=${customer.id}&template=trial.ending`);
      assert.equal(trialMails.length, 1);
      assert.match(trialMails[0].subject, /trial ends in 3 days/);
      assert.match(trialMails[0].text, /shop\.example\.com\/photon/);
      // The trial expires: its expired notice.
      t.clock.set(new Date(Date.parse(trial.expiresAt) + HOUR));
      await t.services.reminders.sweep();
      await t.services.worker.drain();
      // 15 days before the others expire.
      t.clock.set(new Date(Date.parse(ok.expiresAt) - 15 * DAY + HOUR));
      await t.services.reminders.sweep();
      await t.services.worker.drain();
      const reminded = await t.deps.database.db.selectFrom('reminders_sent').select('license_id').where('offset_days', '=', 15).execute();
      const remindedIds = new Set(reminded.map((r) => r.license_id));
      assert.ok(remindedIds.has(ok.id));
      for (const skipped of [revoked, suspended, orphan, renewing]) assert.ok(!remindedIds.has(skipped.id), `${skipped.id} is not reminded`);
      // Expiry: the expired notice, once; for a license without customer the event only.
      t.clock.set(new Date(Date.parse(ok.expiresAt) + HOUR));
      await t.services.subscriptions.sweep();
      for (let i = 0; i < 2; i++) {
        await t.services.reminders.sweep();
        await t.services.worker.drain();
      }
      const expired = await outbox(api, `customerId=${customer.id}&template=license.expired`);
      assert.equal(expired.length, 2, 'the timed license and the trial (the renewing subscription renewed)');
      const events = await countEvents(t, 'license.expired', [ok.id, orphan.id, revoked.id, renewing.id, trial.id]);
      assert.deepEqual([events.get(ok.id), events.get(orphan.id), events.get(revoked.id), events.get(renewing.id), events.get(trial.id)], [1, 1, undefined, undefined, 1]);
      const history = await api.get(`/v1/licenses/${ok.id}/reminders`);
      assert.deepEqual(history.body.data.map((r: any) => r.offset), [15, 0]);
    });

    test('the reminder sweep runs on its own schedule', async () => {
      const t = ctx.t;
      t.clock.set('2030-01-01T00:00:00.000Z');
      const product = await factories.product(api);
      const policy = await factories.policy(api, product.id, 'timed', { durationDays: 10 });
      const customer = await factories.customer(api);
      await factories.license(api, policy.id, { customerId: customer.id, startsAt: '2029-01-01T00:00:00.000Z', expiresAt: '2030-01-11T00:00:00.000Z' });
      await t.services.worker.drain(); // syncs the schedules
      t.clock.advance(2 * HOUR);
      await t.services.worker.drain();
      assert.equal((await outbox(api, `customerId=${customer.id}&template=license.expiring`)).length, 1);
      const schedules = (await api.get('/v1/job-schedules')).body.data.map((s: any) => s.name);
      for (const name of ['reminders.sweep', 'subscriptions.renew', 'alerts.expiring']) assert.ok(schedules.includes(name), name);
    });
  });

  describe('staff alerts', () => {
    const ctx = useTestApp(dialect, { config: { alertEmails: ['ops@vendor.example', 'sales@vendor.example'], alertExpiryDays: 7 } });

    test('seat limit, exhausted credits and overdraft: one alert per license, kind and day', async () => {
      const t = ctx.t;
      const api = ctx.api;
      const anon = client(t.app, undefined);
      t.clock.set('2031-05-05T10:00:00.000Z');
      const { license, product, customer } = await factories.world(api, { maxMachines: 1, meters: [{ feature: 'exports', limit: 2, period: 'never' }] });
      const over = await factories.world(api, { maxMachines: 1, overdraft: { seats: 2 } });
      assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'a' })).status, 201);
      for (const fp of ['b', 'c', 'd']) assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: fp })).status, 422);
      for (let i = 0; i < 3; i++) await anon.post('/v1/usage', { key: license.key, feature: 'exports' });
      for (const fp of ['a', 'b', 'c']) assert.ok([200, 201].includes((await anon.post('/v1/machines/activate', { key: over.license.key, fingerprint: fp })).status));
      // Alerts are non-essential mail: one mail per recipient (each with its own unsubscribe link).
      const alerts = await outbox(api, 'template=staff.alert');
      const subjects = [...new Set(alerts.map((m) => m.subject))];
      assert.equal(subjects.length, 3, subjects.join('\n'));
      assert.equal(alerts.length, 6);
      for (const title of ['Seat limit reached', 'Usage credits exhausted', 'Seat overdraft in use']) {
        const sent = alerts.filter((m) => m.subject.includes(title));
        assert.deepEqual(sent.flatMap((m) => m.to).sort(), ['ops@vendor.example', 'sales@vendor.example'], title);
      }
      const seatAlert = alerts.find((m) => m.subject.includes('Seat limit'))!.text;
      assert.match(seatAlert, new RegExp(license.id));
      // The mail names the product and the customer (read through their modules, inside the event's transaction).
      assert.ok(seatAlert.includes(product.name) && seatAlert.includes(customer.name), seatAlert);
      // The next day the same refusal alerts again, once.
      t.clock.advanceDays(1);
      for (const fp of ['e', 'f']) assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: fp })).status, 422);
      assert.equal((await outbox(api, 'template=staff.alert')).filter((m) => m.subject.includes('Seat limit')).length, 4);
    });

    test('trials and licenses nearing expiry: one digest, each license once per term', async () => {
      const t = ctx.t;
      const api = ctx.api;
      t.clock.set('2032-03-01T00:00:00.000Z');
      const product = await factories.product(api);
      const trialPolicy = await factories.policy(api, product.id, 'trial', { durationDays: 5 });
      const timed = await factories.policy(api, product.id, 'timed', { durationDays: 6 });
      const later = await factories.policy(api, product.id, 'timed', { durationDays: 30 });
      const customer = await factories.customer(api);
      const trial = await factories.license(api, trialPolicy.id, { customerId: customer.id });
      const soon = await factories.license(api, timed.id, { customerId: customer.id });
      const alone = await factories.license(api, timed.id);
      const notYet = await factories.license(api, later.id, { customerId: customer.id });
      const before = (await outbox(api, 'template=staff.alert')).length;
      assert.equal(await t.services.alerts.sweepExpiring(), 3);
      assert.equal(await t.services.alerts.sweepExpiring(), 0);
      const digests = (await outbox(api, 'template=staff.alert')).slice(0, 1);
      assert.equal((await outbox(api, 'template=staff.alert')).length, before + 2, 'one digest per recipient');
      assert.match(digests[0].subject, /1 trial and 2 licenses expire within 7 days/);
      assert.ok(digests[0].text.includes(trial.id) && digests[0].text.includes(soon.id) && !digests[0].text.includes(notYet.id));
      // Each line names the product and the customer, or says there is none.
      const lineOf = (id: string) => digests[0].text.split('\n').find((line: string) => line.includes(id)) ?? '';
      assert.ok(lineOf(soon.id).includes(product.name) && lineOf(soon.id).includes(customer.name), lineOf(soon.id));
      assert.ok(lineOf(alone.id).includes(product.name) && lineOf(alone.id).includes('no customer'), lineOf(alone.id));
      // Extended: a new term, a new alert when it nears its end.
      assert.equal((await api.post(`/v1/licenses/${soon.id}/actions/extend`, { days: 1 })).status, 200);
      assert.equal(await t.services.alerts.sweepExpiring(), 1);
    });
  });

  describe('the notices feed', () => {
    const ctx = useTestApp(dialect);

    test('listNotices: signed, nonce echoed, what the app should show, unknown keys 404 (signed)', async () => {
      const t = ctx.t;
      const api = ctx.api;
      const anon = client(t.app, undefined);
      const publicKey = (await anon.get('/v1/public-key')).body.publicKey;
      t.clock.set('2033-01-01T00:00:00.000Z');
      const product = await factories.product(api);
      const trialPolicy = await factories.policy(api, product.id, 'trial', { durationDays: 10 });
      const timed = await factories.policy(api, product.id, 'timed', { durationDays: 100, graceDays: 5 });
      const trial = await factories.license(api, trialPolicy.id);
      const license = await factories.license(api, timed.id);
      const perpetual = await factories.license(api, (await factories.policy(api, product.id, 'perpetual')).id);
      const ask = async (key: string, extra: Record<string, unknown> = {}) => {
        const res = await anon.post('/v1/notices', { key, nonce: 'n-1', ...extra });
        assert.ok(verifySignature(publicKey, res, 'post', '/v1/notices', 'n-1'), 'signed');
        return res;
      };
      const trialAnswer = await ask(trial.key);
      assert.equal(trialAnswer.status, 200);
      assert.equal(trialAnswer.body.nonce, 'n-1');
      assert.equal(trialAnswer.body.license.id, trial.id);
      assert.deepEqual(trialAnswer.body.notices.map((n: any) => [n.code, n.daysLeft]), [['TRIAL_ENDING', 10]]);
      assert.deepEqual((await ask(license.key)).body.notices, [], 'nothing to say 100 days ahead');
      assert.deepEqual((await ask(license.key, { withinDays: 120 })).body.notices.map((n: any) => n.code), ['EXPIRING_SOON']);
      assert.deepEqual((await ask(perpetual.key)).body.notices, []);
      t.clock.set(new Date(Date.parse(license.expiresAt) - 3 * DAY));
      const soon = (await ask(license.key)).body.notices;
      assert.deepEqual(soon.map((n: any) => [n.code, n.severity, n.daysLeft]), [['EXPIRING_SOON', 'warning', 3]]);
      t.clock.set(new Date(Date.parse(license.expiresAt) + DAY));
      assert.deepEqual((await ask(license.key)).body.notices.map((n: any) => [n.code, n.severity]), [['GRACE_PERIOD', 'warning']]);
      t.clock.set(new Date(Date.parse(license.expiresAt) + 10 * DAY));
      assert.deepEqual((await ask(license.key)).body.notices.map((n: any) => n.code), ['EXPIRED']);
      await api.post(`/v1/licenses/${perpetual.id}/actions/suspend`);
      assert.deepEqual((await ask(perpetual.key)).body.notices.map((n: any) => [n.code, n.severity]), [['SUSPENDED', 'critical']]);
      // A source plugged in by another capability (new releases, later) is merged in.
      t.services.notices.addSource(async (l) =>
        l.id === perpetual.id ? [{ id: `new_release:${l.id}:9.9`, code: 'NEW_RELEASE', severity: 'info', title: 'Version 9.9', message: 'Out now', at: null, daysLeft: null, url: null }] : [],
      );
      assert.deepEqual((await ask(perpetual.key)).body.notices.map((n: any) => n.code), ['SUSPENDED', 'NEW_RELEASE']);
      const unknown = await ask('F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'NOT_FOUND');
      assert.equal((await anon.post('/v1/notices', { key: 'nope' })).status, 400);
    });
  });
});
