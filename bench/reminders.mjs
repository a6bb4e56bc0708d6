// The reminder sweep benchmark's worker process (`npm run bench -- --suite reminders`, bench/suites/reminders.mjs),
// run pinned to the server core on the database named by the environment (the server's own settings:
// KEYHAVEN_DATA_DIR or DATABASE_URL, KEYHAVEN_MASTER_KEY). BENCH_NOW fixes "now" for every step, so the
// baseline and the sweep look at exactly the same due reminders.
//
//   node bench/reminders.mjs prepare   turns a seeded table into a reminder workload: one customer owns every
//                                      license; expiries spread evenly from 10 days ago to 390 days ahead
//                                      (a permutation of minutes, so neighbouring rows expire far apart);
//                                      every 5th license an auto-renewing subscription (skipped by reminders)
//   node bench/reminders.mjs run       on a fresh copy: the baseline (a raw indexed SELECT of the same rows, once
//                                      to warm up and once timed), then RemindersService.sweep() as the hourly
//                                      job runs it (timed: finds the due reminders, enqueues them in jobs of
//                                      100), then 2,000 of them are sent (mail rendered and queued: per s), then
//                                      the steady state: every reminder marked sent, one hour later, a sweep
//
// Prints `RESULT {...}`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => pathToFileURL(path.join(root, 'packages/server/dist', rel)).href;
const { loadConfig } = await import(dist('config.js'));
const { openRuntime } = await import(dist('runtime.js'));
const { createServices } = await import(dist('services.js'));
const { ManualClock, DAY_MS } = await import(dist('lib/clock.js'));
const { EXPIRED_NOTICE_LOOKBACK_MS } = await import(dist('modules/notifications/reminders.service.js'));
const { sql } = await import(pathToFileURL(path.join(root, 'node_modules/kysely/dist/esm/index.js')).href);

const mode = process.argv[2];
if (mode !== 'prepare' && mode !== 'run') throw new Error('usage: reminders.mjs prepare|run');
const now = new Date(process.env.BENCH_NOW ?? '');
if (Number.isNaN(now.getTime())) throw new Error('BENCH_NOW must be an ISO instant');

const config = loadConfig(process.env);
const runtime = await openRuntime(config);
const { db } = runtime.database;
const dialect = runtime.database.dialect;
const SPREAD_MINUTES = 400 * 1440;
const PAST_MINUTES = 10 * 1440;
const SEND_SAMPLE = 2000;

const out = (result) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

async function prepare() {
  const started = performance.now();
  const customerId = 'cus_bench_reminders';
  const at = now.toISOString();
  await sql`insert into customers (id, name, email, contacts, notes, metadata, created_at, updated_at)
            values (${customerId}, 'Bench Customer', 'bench-customer@example.com', '[]', null, '{}', ${at}, ${at})`.execute(db);
  const terms = JSON.stringify({ termMonths: 12, termDays: null, alignment: 'purchase', fiscalYearStartMonth: null, firstTerm: 'shorten', cancellationNoticeDays: 0, price: null, currency: null, firstTermPrice: null, anchorAt: null });
  if (dialect === 'sqlite') {
    await sql`update licenses set
                customer_id = ${customerId},
                expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, ((rowid * 7919) % ${SPREAD_MINUTES} - ${PAST_MINUTES}) || ' minutes'),
                auto_renew = case when rowid % 5 = 0 then 1 else null end,
                renewed_by = case when rowid % 5 = 0 then 'keyhaven' else null end,
                subscription = case when rowid % 5 = 0 then ${terms} else null end`.execute(db);
    await sql`update licenses set
                grace_ends_at = strftime('%Y-%m-%dT%H:%M:%fZ', expires_at, '+7 days'),
                starts_at = strftime('%Y-%m-%dT%H:%M:%fZ', expires_at, '-400 days')`.execute(db);
    await sql`analyze`.execute(db);
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
  } else {
    await sql`update licenses l set
                customer_id = ${customerId},
                expires_at = ${at}::timestamptz + (((n.rn * 7919) % ${SPREAD_MINUTES}) - ${PAST_MINUTES}) * interval '1 minute',
                auto_renew = case when n.rn % 5 = 0 then 1 else null end,
                renewed_by = case when n.rn % 5 = 0 then 'keyhaven' else null end,
                subscription = case when n.rn % 5 = 0 then ${terms} else null end
              from (select id, row_number() over (order by id) as rn from licenses) n
              where n.id = l.id`.execute(db);
    await sql`update licenses set grace_ends_at = expires_at + interval '7 days', starts_at = expires_at - interval '400 days'`.execute(db);
    await sql`vacuum analyze licenses`.execute(db);
  }
  const [row] = (await sql`select count(*) as n from licenses where customer_id = ${customerId}`.execute(db)).rows;
  out({ ms: performance.now() - started, licenses: Number(row.n) });
}

/** The sweep's windows at `at` (as RemindersService computes them), as raw SELECTs: the rows, nothing written. */
async function rawSelect(at, offsets) {
  const t = at.getTime();
  const iso = (ms) => new Date(ms).toISOString();
  let due = 0;
  let lower = 0;
  for (const offset of offsets) {
    const { rows } = await sql`select id, expires_at, starts_at from licenses
        where expires_at > ${iso(t + lower * DAY_MS)} and expires_at <= ${iso(t + offset * DAY_MS)}
          and revoked_at is null and suspended_at is null and customer_id is not null
          and (auto_renew is null or auto_renew = 0)
        order by expires_at, id`.execute(db);
    const startsBefore = (r) => new Date(r.expires_at).getTime() - offset * DAY_MS > new Date(r.starts_at).getTime();
    due += rows.filter(startsBefore).length;
    lower = offset;
  }
  const { rows } = await sql`select id, expires_at, starts_at from licenses
      where expires_at > ${iso(t - EXPIRED_NOTICE_LOOKBACK_MS)} and expires_at <= ${iso(t)}
        and revoked_at is null and suspended_at is null
      order by expires_at, id`.execute(db);
  return due + rows.length;
}

/** The reminders in queued `reminders.send` jobs, and how many of them are distinct. */
async function queuedReminders() {
  const { rows } = await sql`select payload from jobs where type = 'reminders.send' and status = 'queued'`.execute(db);
  const keys = rows.flatMap((r) => JSON.parse(r.payload).reminders.map((x) => `${x.licenseId}:${x.expiresAt}:${x.offset}`));
  return { jobs: rows.length, reminders: keys.length, distinct: new Set(keys).size };
}

async function run() {
  const clock = new ManualClock(now);
  const services = createServices({ ...runtime, clock });
  const offsets = [...config.reminderDays].sort((a, b) => a - b);

  await rawSelect(now, offsets); // warm-up: both timed runs below read a warm cache
  let t = performance.now();
  const rawDue = await rawSelect(now, offsets);
  const rawMs = performance.now() - t;

  t = performance.now();
  const swept = await services.reminders.sweep();
  const sweepMs = performance.now() - t;
  const queued = await queuedReminders();

  // A sample of the reminder jobs runs (each claims its rows, renders and queues their mails); the rest are set aside.
  const { rows: sample } = await sql`select id from jobs where type = 'reminders.send' and status = 'queued' order by id limit ${Math.ceil(SEND_SAMPLE / 100)}`.execute(db);
  const keep = sample.map((r) => r.id);
  await sql`update jobs set status = 'done' where type = 'reminders.send' and status = 'queued' and id not in (${sql.join(keep)})`.execute(db);
  t = performance.now();
  await services.worker.drain(10_000);
  const sendMs = performance.now() - t;
  const { rows: sentRows } = await sql`select count(*) as n from reminders_sent`.execute(db);
  const { rows: mailRows } = await sql`select count(*) as n from mail_outbox where template in ('license.expiring', 'license.expired', 'trial.ending')`.execute(db);

  // Steady state: every reminder found is sent (as its job would have recorded it); an hour later the sweep runs.
  if (dialect === 'sqlite') {
    await sql`insert into reminders_sent (license_id, expires_at, offset_days, mail_id, sent_at)
              select json_extract(r.value, '$.licenseId'), json_extract(r.value, '$.expiresAt'), json_extract(r.value, '$.offset'), null, ${now.toISOString()}
              from jobs, json_each(jobs.payload, '$.reminders') as r where jobs.type = 'reminders.send' on conflict do nothing`.execute(db);
  } else {
    await sql`insert into reminders_sent (license_id, expires_at, offset_days, mail_id, sent_at)
              select r->>'licenseId', (r->>'expiresAt')::timestamptz, (r->>'offset')::int, null, ${now.toISOString()}
              from jobs, json_array_elements(jobs.payload::json->'reminders') as r where jobs.type = 'reminders.send' on conflict do nothing`.execute(db);
  }
  clock.advance(3_600_000);
  t = performance.now();
  const steady = await services.reminders.sweep();
  const steadyMs = performance.now() - t;

  out({
    rawMs,
    rawDue,
    sweepMs,
    enqueued: queued.reminders,
    distinct: queued.distinct,
    jobs: queued.jobs,
    swept,
    send: { reminders: Number(sentRows[0].n), ms: sendMs, mails: Number(mailRows[0].n) },
    steady: { ms: steadyMs, ...steady },
  });
}

try {
  if (mode === 'prepare') await prepare();
  else await run();
} finally {
  await runtime.database.close();
}
