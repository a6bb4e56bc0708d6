// The floor of the exports suite (`npm run bench -- --suite exports`): the licenses an export lists, read
// raw with the same keyset pages (1,000 rows, id descending: `select * ... where id < ? order by id desc
// limit 1000`) and written as CSV lines (the server's own csvLine) to /dev/null with backpressure, in its
// own process pinned to the server core, on the database the environment names (the server's settings:
// KEYHAVEN_DATA_DIR or DATABASE_URL). No product codes, seat counts or customer names: what an export
// costs beyond reading its rows is the difference. Its own RSS is read after the first page (idle: the
// database open, the code warm) and after every page (peak), the same way as the server's.
// Prints `RESULT {"rows":..., "seconds":..., "bytes":..., "idleKb":..., "peakKb":...}`.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => pathToFileURL(path.join(root, 'packages/server/dist', rel)).href;
const { loadConfig } = await import(dist('config.js'));
const { openRuntime } = await import(dist('runtime.js'));
const { csvLine } = await import(dist('lib/csv.js'));

const PAGE = 1000;
const runtime = await openRuntime(loadConfig(process.env));
const { db } = runtime.database;
const out = createWriteStream('/dev/null');
try {
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  let cursor;
  let idleKb;
  let peakKb = 0;
  for (;;) {
    let q = db.selectFrom('licenses').selectAll().orderBy('id', 'desc').limit(PAGE);
    if (cursor) q = q.where('id', '<', cursor);
    const page = await q.execute();
    let chunk = '';
    for (const r of page) chunk += csvLine([r.id, r.name, r.key_hint, r.product_id, r.policy_id, r.customer_id, r.type, r.starts_at, r.expires_at, r.grace_ends_at, r.suspended_at, r.revoked_at, r.max_machines, r.max_users, r.sold_by, r.created_at, r.updated_at]);
    rows += page.length;
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
    const rssKb = Math.round(process.memoryUsage().rss / 1024);
    idleKb ??= rssKb;
    peakKb = Math.max(peakKb, rssKb);
    if (page.length < PAGE) break;
    cursor = page.at(-1).id;
  }
  out.end();
  await once(out, 'finish');
  process.stdout.write(`RESULT ${JSON.stringify({ rows, bytes, seconds: (performance.now() - started) / 1000, idleKb, peakKb })}\n`);
} finally {
  await runtime.database.close();
}
