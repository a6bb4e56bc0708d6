// The floor of the partners suite's report (`npm run bench -- --suite partners`): a raw indexed SELECT count of
// the rows the active-subscriptions report lists, run as its own process pinned to the server core on the
// database named by the environment (the server's own settings: KEYHAVEN_DATA_DIR or DATABASE_URL).
//
//   BENCH_PARTNER=<id> BENCH_DAY=YYYY-MM-DD BENCH_RUNS=10 node bench/partners-floor.mjs
//
// The same conditions as the report (subscription, term started by the end of the day, expiry after its
// start, not revoked before it), for both ways a partner is credited: the licenses it sold (sold_by, read
// through licenses_sold_by_idx) and the vendor's sales to its customers (customers_partner_idx, then
// licenses_customer_idx). Once first (reported apart: the first read since the database was opened),
// then BENCH_RUNS times. Prints `RESULT {"count":..., "firstMs":..., "latenciesMs":[...]}`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => pathToFileURL(path.join(root, 'packages/server/dist', rel)).href;
const { loadConfig } = await import(dist('config.js'));
const { openRuntime } = await import(dist('runtime.js'));
const { sql } = await import(pathToFileURL(path.join(root, 'node_modules/kysely/dist/esm/index.js')).href);

const partnerId = process.env.BENCH_PARTNER;
const day = process.env.BENCH_DAY;
const runs = Number(process.env.BENCH_RUNS ?? 10);
if (!partnerId || !/^\d{4}-\d{2}-\d{2}$/.test(day ?? '')) throw new Error('BENCH_PARTNER and BENCH_DAY (YYYY-MM-DD) are required');
const start = new Date(`${day}T00:00:00.000Z`).toISOString();
const end = new Date(Date.parse(start) + 86_400_000).toISOString();

const runtime = await openRuntime(loadConfig(process.env));
const { db } = runtime.database;
const active = sql`l.subscription is not null and l.term_starts_at is not null and l.starts_at < ${end} and l.expires_at > ${start}
  and (l.revoked_at is null or l.revoked_at > ${start})`;
const count = async () => {
  const t = performance.now();
  const { rows } = await sql`select
      (select count(*) from licenses l where l.sold_by = ${partnerId} and ${active})
    + (select count(*) from customers c join licenses l on l.customer_id = c.id
       where c.partner_id = ${partnerId} and l.sold_by is null and ${active}) as n`.execute(db);
  return { ms: performance.now() - t, n: Number(rows[0].n) };
};
try {
  const first = await count();
  const latenciesMs = [];
  for (let i = 0; i < runs; i++) latenciesMs.push((await count()).ms);
  process.stdout.write(`RESULT ${JSON.stringify({ count: first.n, firstMs: first.ms, latenciesMs })}\n`);
} finally {
  await runtime.database.close();
}
