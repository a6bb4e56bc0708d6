// Suite `exports`: the streamed CSV export of licenses (issue 15) on a large database, through the real server.
//
// Per database, `licenses` licenses (default 1,000,000) are seeded with the partner world of bench/seed.mjs
// (every license has a customer, a 50th as many customers; 30% annual subscriptions), so every page of the
// export looks up product codes, seat counts and customer names as the list does. `keyhaven serve` (the
// real CLI, pinned to the server core) is started with a staff admin token; a small export (one customer's
// licenses) warms the route, then the server's RSS is read (idle) and the whole table is exported
// (`GET /v1/licenses/export`) by a client process pinned to the other core that reads the stream to its end
// (bench/export-client.mjs), while the server's RSS is sampled from /proc every 50 ms. Repeated `rounds`
// times (default 1). Baseline in the same run: the floor, the same rows read raw in the same keyset pages
// and written as CSV lines to /dev/null, in a process pinned to the server core (bench/exports-floor.mjs).
// Reported: rows/s of both, their ratio, the peak RSS growth over idle, and the answer checked (200,
// text/csv, dated attachment, a header and exactly one line per license, the stream complete).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { dialectName, fmt, loadCpu, log, postgresNote, prepareDatabase, query, root, rssKb, runEachDialect, runScript, seed, seedTimes, serverCpu, startKeyhaven, stopChild } from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { rssGrowthMb: 50 };
const EXPORT_PATH = '/v1/licenses/export';
const CLIENT = path.join(root, 'bench/export-client.mjs');
const FLOOR = path.join(root, 'bench/exports-floor.mjs');

/**
 * One export by the client process; the server's RSS is sampled every 50 ms meanwhile. Besides the peak,
 * the peaks of the first and the second half of the export (by time): memory that grew with the rows
 * would make the second half's higher.
 */
async function exportOnce(label, url, pid, token) {
  const samples = [];
  const sample = () => samples.push([performance.now(), rssKb(pid) ?? 0]);
  sample();
  const sampler = setInterval(sample, 50);
  try {
    const r = await runScript(`export client (${label})`, [CLIENT, url], { env: { ...process.env, BENCH_TOKEN: token }, cpu: loadCpu });
    return { ...r, ...peaks(samples) };
  } finally {
    clearInterval(sampler);
  }
}

function peaks(samples) {
  const t0 = samples[0][0];
  const mid = t0 + (samples.at(-1)[0] - t0) / 2;
  const max = (list) => Math.max(0, ...list.map(([, kb]) => kb));
  return { peakKb: max(samples), firstHalfPeakKb: max(samples.filter(([t]) => t <= mid)), secondHalfPeakKb: max(samples.filter(([t]) => t > mid)) };
}

async function benchDialect(dialect, settings, run) {
  const adminToken = randomBytes(24).toString('base64url');
  const db = await prepareDatabase(dialect, { suite: 'exports', runStamp: run.runStamp, keep: run.keep, extraEnv: { KEYHAVEN_ADMIN_TOKEN: adminToken } });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, masterKey, info } = db;
  const label = `exports/${dialect}`;
  const customers = Math.max(10, Math.round(settings.licenses / 500) * 10);
  const seeded = await seed(dialect, env, masterKey, { licenses: settings.licenses, sampleSize: 1, partner: { customers } }, label);
  info.seed = seedTimes(seeded);

  const floors = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const f = await runScript(`floor (${label})`, [FLOOR], { env, cpu: serverCpu });
    log(`  ${label}: floor ${round}: ${fmt.int(f.rows)} rows in ${f.seconds.toFixed(1)} s (${fmt.int(f.rows / f.seconds)} rows/s); its RSS ${fmt.mb(f.idleKb)} MB after the first page, peak ${fmt.mb(f.peakKb)} MB`);
    floors.push(f);
  }

  const server = await startKeyhaven(env, label);
  try {
    const [one] = await query(dialect, env, 'select customer_id from licenses where customer_id is not null limit 1');
    const warm = await exportOnce(`${label} warm-up`, `${server.url}${EXPORT_PATH}?customerId=${one.customer_id}`, server.pid, adminToken);
    if (warm.status !== 200) throw new Error(`${label}: the warm-up export answered ${warm.status}`);
    const idleKb = rssKb(server.pid);
    const rounds = [];
    for (let round = 1; round <= settings.rounds; round++) {
      const r = await exportOnce(label, `${server.url}${EXPORT_PATH}`, server.pid, adminToken);
      const rows = Math.max(0, r.lines - 1);
      log(`  ${label}: export ${round}: ${r.status}, ${fmt.int(rows)} rows, ${fmt.mb(r.bytes / 1024)} MB in ${r.seconds.toFixed(1)} s (${fmt.int(rows / r.seconds)} rows/s; first byte ${r.firstByteMs?.toFixed(0)} ms); server RSS idle ${fmt.mb(idleKb)} MB, peak ${fmt.mb(r.peakKb)} MB (first half ${fmt.mb(r.firstHalfPeakKb)} MB, second half ${fmt.mb(r.secondHalfPeakKb)} MB)`);
      rounds.push({ ...r, rows, rowsPerSecond: rows / r.seconds });
    }
    return { ...info, skipped: false, licenses: settings.licenses, customers, floors, idleKb, warmUp: { status: warm.status, lines: warm.lines }, rounds };
  } finally {
    await stopChild(server.child);
  }
}

const best = (list, key) => Math.max(...list.map((x) => x[key]));

function evaluate(pass) {
  const floorRate = best(pass.floors.map((f) => ({ rate: f.rows / f.seconds })), 'rate');
  const rate = best(pass.rounds, 'rowsPerSecond');
  const peakKb = best(pass.rounds, 'peakKb');
  const growthMb = (peakKb - pass.idleKb) / 1024;
  const floorGrowthMb = best(pass.floors.map((f) => ({ mb: (f.peakKb - f.idleKb) / 1024 })), 'mb');
  const halvesMb = best(pass.rounds.map((r) => ({ mb: (r.secondHalfPeakKb - r.firstHalfPeakKb) / 1024 })), 'mb');
  const day = new Date().toISOString().slice(0, 10);
  const answersRight = pass.rounds.every(
    (r) =>
      r.status === 200 &&
      r.complete &&
      /^text\/csv/.test(r.contentType ?? '') &&
      /^attachment; filename="licenses-\d{4}-\d{2}-\d{2}\.csv"$/.test(r.disposition ?? '') &&
      r.header?.startsWith('license_id,') &&
      r.rows === pass.licenses,
  );
  return {
    floorRate,
    rate,
    growthMb,
    checks: [
      {
        name: `server RSS while exporting ${fmt.int(pass.licenses)} licenses: peak − idle ≤ ${TARGETS.rssGrowthMb} MB`,
        value: `${growthMb.toFixed(1)} MB (idle ${fmt.mb(pass.idleKb)} MB after a warm-up export, peak ${fmt.mb(peakKb)} MB); the floor's own RSS grew ${floorGrowthMb.toFixed(1)} MB reading the same rows`,
        pass: growthMb <= TARGETS.rssGrowthMb,
      },
      {
        name: `flat memory: the RSS peak of the export's second half ≤ its first half's + ${TARGETS.rssGrowthMb} MB (nothing grows with the rows)`,
        value: `second half − first half: ${halvesMb.toFixed(1)} MB`,
        pass: halvesMb <= TARGETS.rssGrowthMb,
      },
      {
        name: 'the answers: 200 text/csv, a dated attachment, the header and one line per license, the stream complete',
        value: pass.rounds.map((r) => `${r.status}, ${fmt.int(r.rows)} rows, ${r.complete ? 'complete' : 'TRUNCATED'}`).join('; ') + ` (${day})`,
        pass: answersRight,
      },
      {
        name: 'throughput (for information): rows/s of the export against the floor',
        value: `${fmt.int(rate)} rows/s against ${fmt.int(floorRate)} rows/s (ratio ${(rate / floorRate).toFixed(3)})`,
        pass: true,
      },
    ],
  };
}

export default {
  name: 'exports',
  title: 'streamed CSV export of every license',
  defaults: { licenses: 1_000_000, rounds: 1 },

  async run(settings, run) {
    log(`exports: ${settings.licenses.toLocaleString('en-US')} licenses exported as CSV through the server, ${settings.rounds} round(s); ${run.dialects.join(' + ')}`);
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`CSV export benchmark — ${meta.startedAt}`);
    const rows = [['target', 'rows', 'seconds', 'rows/s', 'MB', 'RSS idle MB', 'RSS peak MB', 'ratio']];
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      for (const f of p.floors) rows.push([`floor: raw keyset SELECT → CSV → /dev/null, ${name}`, fmt.int(f.rows), f.seconds.toFixed(1), fmt.int(f.rows / f.seconds), fmt.mb(f.bytes / 1024), fmt.mb(f.idleKb), fmt.mb(f.peakKb), '1.000']);
      for (const x of p.rounds) rows.push([`GET ${EXPORT_PATH}, ${name}`, fmt.int(x.rows), x.seconds.toFixed(1), fmt.int(x.rowsPerSecond), fmt.mb(x.bytes / 1024), fmt.mb(p.idleKb), fmt.mb(x.peakKb), (x.rowsPerSecond / p.floorRate).toFixed(3)]);
    }
    r.table(rows);
    r.paragraph(
      `${settings.licenses.toLocaleString('en-US')} licenses per database (the partner world of bench/seed.mjs: every license has a customer; 30% subscriptions). ` +
        `\`keyhaven serve\` (pinned to the server core) exports them all as staff (\`GET ${EXPORT_PATH}\`, no filter) to a client pinned to the other core that reads the stream to its end; the server reads keyset pages of 1,000 and looks up product codes, seat counts and customer names once per page. ` +
        `A small export first warms the route; the server's RSS is then read (idle) and sampled every 50 ms from /proc during the export. ` +
        `Floor: the same rows read raw in the same pages and written as CSV lines to /dev/null, in a process pinned to the server core (its RSS read after its first page and after every page); ratio = the export's rows/s over the floor's. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(`Targets (SQLite; PostgreSQL for information): the server's RSS grows by at most ${TARGETS.rssGrowthMb} MB over idle during the export, and its second half peaks no more than ${TARGETS.rssGrowthMb} MB above its first (memory does not grow with the rows); the answer is exactly right. Throughput is reported, not gated.`);
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const notes = [`seeded in ${p.seed.seconds.toFixed(1)} s; ${fmt.int(p.customers)} customers; first byte after ${p.rounds.map((x) => `${x.firstByteMs?.toFixed(0)} ms`).join(', ')}`];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('Rows/s is the export from sending the request to reading its last byte, in the client process.');
    return r.render();
  },
};
