// Suite `partners`: what a partner admin asks of a large database (issue 14): its scoped license list, a
// first page and a deep one, and its active-subscriptions report for a day, as JSON and as the CSV export.
//
// Per database, `licenses` licenses (default 1,000,000) are seeded with the partner world of bench/seed.mjs:
// a 50th as many customers, every 10th of them the partner's, every 10th license (100,000) one of theirs,
// 80% of those sold by the partner, 20% by the vendor; 30% of all licenses annual subscriptions, the
// others perpetual; a partner-admin user with a session (stored as the sessions module stores it). Every
// request goes through `keyhaven serve` (the real CLI, pinned to the server core) with that session, as the
// web app sends it, from a client process pinned to the other core that sends one request at a time
// (bench/sequential.mjs). For each request kind the server is started afresh and asked once: that first
// answer is reported apart (a new server process: Node and the database's page cache cold; the operating
// system's file cache is warm from seeding). Its answer then becomes the constant body of a bare Fastify GET
// route (bench/baseline-server.mjs), and `requests` more requests (200 for the lists, 10 for the reports)
// go to the bare route and to Keyhaven in alternating blocks (--rounds). The report is also measured
// against its floor, a raw indexed SELECT count of the same rows (bench/partners-floor.mjs), which must
// equal the report's count. The deep page's cursor is the id of the partner's 90,000th license in list
// order (what the server's nextCursor is after 1,800 pages), found by SQL and checked against the server's
// own nextCursor on the first page.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  dialectName,
  fmt,
  loadCpu,
  log,
  postgresNote,
  prepareDatabase,
  query,
  root,
  runEachDialect,
  runScript,
  seed,
  seedTimes,
  serverCpu,
  startBaseline,
  startKeyhaven,
  stopChild,
} from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { listP99Ms: 50, reportMs: 2000 };
const LIST_PATH = '/v1/licenses';
const REPORT_PATH = '/v1/reports/partners/active-subscriptions';
const EXPORT_PATH = `${REPORT_PATH}/export`;
const SEQUENTIAL = path.join(root, 'bench/sequential.mjs');
const FLOOR = path.join(root, 'bench/partners-floor.mjs');
const REPORT_REQUESTS = 10;
/** Where the deep page starts: this share of the partner's licenses in (90,000 of 100,000). */
const DEEP_SHARE = 0.9;

/** Nearest-rank percentiles of latencies (ms). */
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const round = (v) => Math.round(v * 100) / 100;
  return { n: sorted.length, p50: round(at(50)), p99: round(at(99)), max: round(sorted.at(-1)), mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length) };
}

/** The id of the partner's license at `offset` (0-based) in list order (id descending), as the scope filter reads them. */
async function licenseAt(dialect, env, partnerId, offset) {
  const rows = await query(
    dialect,
    env,
    'select id from licenses where (customer_id in (select id from customers where partner_id = ?) or sold_by = ?) order by id desc limit 1 offset ?',
    [partnerId, partnerId, offset],
  );
  if (!rows[0]) throw new Error(`the partner has no license at offset ${offset}`);
  return rows[0].id;
}

/**
 * One request kind: a fresh server asked once (the first answer, kept as the baseline's body), then the bare
 * route and Keyhaven in alternating blocks of sequential requests.
 */
async function measure(kind, { env, workDir, label, token }, { path: requestPath, requests, rounds, contentType }) {
  const server = await startKeyhaven(env, `${label} ${kind}`);
  const headers = { authorization: `Bearer ${token}` };
  const bodyFile = path.join(workDir, `${kind}.answer`);
  const job = (name, spec) => {
    const file = path.join(workDir, `sequential-${kind}-${name}.json`);
    writeFileSync(file, JSON.stringify({ path: requestPath, headers, ...spec }));
    return file;
  };
  try {
    const first = await runScript(`first ${kind} request (${label})`, [SEQUENTIAL, job('first', { targets: [{ name: 'keyhaven', url: server.url }], requests: 1, rounds: 1, keepFirst: bodyFile })], { cpu: loadCpu });
    const f = first.keyhaven;
    if (!f.statuses['200']) throw new Error(`${label}: the first ${kind} request answered ${JSON.stringify(f.statuses)}`);
    const baseline = await startBaseline(requestPath.split('?')[0], bodyFile, undefined, { method: 'GET', contentType });
    try {
      log(`  ${label}: ${kind}: first request ${f.latenciesMs[0].toFixed(1)} ms (${fmt.int(f.bytes.max)} B); ${requests} more to the bare route and to Keyhaven, ${rounds} alternating blocks`);
      const warm = await runScript(
        `${kind} requests (${label})`,
        [SEQUENTIAL, job('warm', { targets: [{ name: 'baseline', url: baseline.url }, { name: 'keyhaven', url: server.url }], requests, rounds, warmup: 1 })],
        { cpu: loadCpu },
      );
      const k = summary(warm.keyhaven.latenciesMs);
      const b = summary(warm.baseline.latenciesMs);
      log(`  ${label}: ${kind}: Keyhaven p50 ${fmt.ms(k.p50)} ms, p99 ${fmt.ms(k.p99)} ms, max ${fmt.ms(k.max)} ms; bare route p50 ${fmt.ms(b.p50)} ms`);
      return {
        path: requestPath,
        firstMs: f.latenciesMs[0],
        bytes: f.bytes.max,
        keyhaven: { ...k, statuses: warm.keyhaven.statuses, bytes: warm.keyhaven.bytes },
        baseline: { ...b, statuses: warm.baseline.statuses, bytes: warm.baseline.bytes },
        bodyFile,
      };
    } finally {
      await stopChild(baseline.child);
    }
  } finally {
    await stopChild(server.child);
  }
}

async function benchDialect(dialect, settings, run) {
  const db = await prepareDatabase(dialect, { suite: 'partners', runStamp: run.runStamp, keep: run.keep });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, workDir, masterKey, info } = db;
  const label = `partners/${dialect}`;
  const customers = Math.max(10, Math.round(settings.licenses / 500) * 10);
  const seeded = await seed(dialect, env, masterKey, { licenses: settings.licenses, sampleSize: 1, partner: { customers } }, label);
  info.seed = seedTimes(seeded);
  const partner = { ...seeded.partner };
  delete partner.sessionToken;
  log(
    `${label}: ${fmt.int(customers)} customers, ${fmt.int(partner.partnerCustomers)} of them the partner's; the partner's licenses: ${fmt.int(partner.partnerLicenses)} ` +
      `(${fmt.int(partner.soldByPartner)} sold by it), ${fmt.int(partner.partnerSubscriptions)} of them subscriptions`,
  );

  const day = new Date().toISOString().slice(0, 10);
  const deepOffset = Math.round(partner.partnerLicenses * DEEP_SHARE) - 1;
  const cursors = { second: await licenseAt(dialect, env, partner.id, 49), deep: await licenseAt(dialect, env, partner.id, deepOffset) };
  const floor = await runScript(`floor (${label})`, [FLOOR], { env: { ...env, BENCH_PARTNER: partner.id, BENCH_DAY: day, BENCH_RUNS: String(REPORT_REQUESTS) }, cpu: serverCpu });
  log(`  ${label}: floor: ${fmt.int(floor.count)} active subscriptions on ${day} counted in ${summary(floor.latenciesMs).p50.toFixed(1)} ms (first ${floor.firstMs.toFixed(1)} ms)`);

  const ctx = { env, workDir, label, token: seeded.partner.sessionToken };
  const lists = { requests: settings.requests, rounds: settings.rounds };
  const reports = { requests: REPORT_REQUESTS, rounds: Math.min(settings.rounds, REPORT_REQUESTS) };
  const firstPage = await measure('first-page', ctx, { path: `${LIST_PATH}?limit=50`, ...lists });
  const deepPage = await measure('deep-page', ctx, { path: `${LIST_PATH}?limit=50&cursor=${cursors.deep}`, ...lists });
  const report = await measure('report', ctx, { path: `${REPORT_PATH}?day=${day}`, ...reports });
  const csv = await measure('csv', ctx, { path: `${EXPORT_PATH}?day=${day}`, ...reports, contentType: 'text/csv; charset=utf-8' });

  // What the answers held: the pages are the partner's, the deep one starts after the cursor, the reports count the floor's rows.
  const json = (m) => JSON.parse(readFileSync(m.bodyFile, 'utf8'));
  const first = json(firstPage);
  const deep = json(deepPage);
  const reported = json(report);
  const csvLines = readFileSync(csv.bodyFile, 'utf8').split('\r\n').filter(Boolean).length - 1;
  const answers = {
    firstPage: { items: first.data.length, nextCursor: first.nextCursor, expectedCursor: cursors.second },
    deepPage: { items: deep.data.length, firstId: deep.data[0]?.id, cursor: cursors.deep, deepOffset },
    report: { partners: reported.partners.length, activeSubscriptions: reported.partners[0]?.activeSubscriptions, lines: reported.partners[0]?.licenses.length },
    csvLines,
    inScope: [...first.data, ...deep.data].every((l) => l.soldBy === partner.id || l.customerId !== null),
  };
  for (const m of [firstPage, deepPage, report, csv]) delete m.bodyFile;
  return { ...info, skipped: false, licenses: settings.licenses, customers, day, partner, floor: { count: floor.count, firstMs: floor.firstMs, ...summary(floor.latenciesMs) }, firstPage, deepPage, report, csv, answers };
}

function evaluate(pass) {
  const a = pass.answers;
  const only200 = (m) => Object.keys(m.keyhaven.statuses).every((s) => s === '200');
  const slowest = (m) => Math.max(m.firstMs, m.keyhaven.max);
  const listCheck = (name, m) => ({
    name: `${name}: p99 ≤ ${TARGETS.listP99Ms} ms`,
    value: `p99 ${fmt.ms(m.keyhaven.p99)} ms (p50 ${fmt.ms(m.keyhaven.p50)} ms, max ${fmt.ms(m.keyhaven.max)} ms; first request ${fmt.ms(m.firstMs)} ms)`,
    pass: m.keyhaven.p99 <= TARGETS.listP99Ms,
  });
  const reportCheck = (name, m) => ({
    name: `${name}: every answer, the first included, in ≤ ${TARGETS.reportMs / 1000} s`,
    value: `slowest ${fmt.ms(slowest(m))} ms (first ${fmt.ms(m.firstMs)} ms; then p50 ${fmt.ms(m.keyhaven.p50)} ms, max ${fmt.ms(m.keyhaven.max)} ms)`,
    pass: slowest(m) <= TARGETS.reportMs,
  });
  const correct =
    a.firstPage.items === 50 &&
    a.firstPage.nextCursor === a.firstPage.expectedCursor &&
    a.deepPage.items === 50 &&
    a.deepPage.firstId < a.deepPage.cursor &&
    a.inScope &&
    a.report.partners === 1 &&
    a.report.activeSubscriptions === pass.floor.count &&
    a.report.lines === pass.floor.count &&
    a.csvLines === pass.floor.count &&
    [pass.firstPage, pass.deepPage, pass.report, pass.csv].every(only200);
  return {
    checks: [
      listCheck(`GET ${LIST_PATH}?limit=50, first page`, pass.firstPage),
      listCheck(`deep page (cursor ${fmt.int(a.deepPage.deepOffset + 1)} licenses in)`, pass.deepPage),
      reportCheck(`active subscriptions on ${pass.day}`, pass.report),
      reportCheck('its CSV export', pass.csv),
      {
        name: 'the answers: 50 licenses a page, the server’s own next cursor, the deep page after its cursor, the report and the CSV list exactly the floor’s rows; every answer 200',
        value: `pages ${a.firstPage.items} + ${a.deepPage.items}; report ${fmt.int(a.report.activeSubscriptions ?? 0)} (${fmt.int(a.report.lines ?? 0)} lines), CSV ${fmt.int(a.csvLines)} lines, floor ${fmt.int(pass.floor.count)}`,
        pass: correct,
      },
    ],
  };
}

const ratio = (baselineMs, ms) => (baselineMs / ms).toFixed(3);

export default {
  name: 'partners',
  title: "a partner's license list and report",
  defaults: { licenses: 1_000_000, requests: 200, rounds: 4 },

  async run(settings, run) {
    log(
      `partners: ${settings.licenses.toLocaleString('en-US')} licenses (a 10th the partner's); ${settings.requests} sequential requests per list page, ${REPORT_REQUESTS} per report, ${settings.rounds} alternating blocks; ${run.dialects.join(' + ')}`,
    );
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`Partner license list and report benchmark — ${meta.startedAt}`);
    const rows = [['target', 'requests', 'first ms', 'p50 ms', 'p99 ms', 'max ms', 'answer B', 'ratio']];
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      const add = (title, m) => {
        rows.push([`bare Fastify route, same answer (${title})`, String(m.baseline.n), '-', fmt.ms(m.baseline.p50), fmt.ms(m.baseline.p99), fmt.ms(m.baseline.max), fmt.int(m.bytes), '1.000']);
        rows.push([`${title}, ${name}`, String(m.keyhaven.n), fmt.ms(m.firstMs), fmt.ms(m.keyhaven.p50), fmt.ms(m.keyhaven.p99), fmt.ms(m.keyhaven.max), fmt.int(m.bytes), ratio(m.baseline.p50, m.keyhaven.p50)]);
      };
      add('licenses, first page', p.firstPage);
      add(`licenses, page ${fmt.int(p.answers.deepPage.deepOffset + 1)} in`, p.deepPage);
      rows.push([`floor: raw indexed SELECT count of the report's rows, ${name}`, String(p.floor.n), fmt.ms(p.floor.firstMs), fmt.ms(p.floor.p50), fmt.ms(p.floor.p99), fmt.ms(p.floor.max), '-', '-']);
      add('active-subscriptions report', p.report);
      rows.push([`  the report against its floor, ${name}`, '', '', '', '', '', '', ratio(p.floor.p50, p.report.keyhaven.p50)]);
      add('its CSV export', p.csv);
    }
    r.table(rows);
    r.paragraph(
      `${settings.licenses.toLocaleString('en-US')} licenses per database across ${(result.passes.find((p) => !p.skipped)?.customers ?? 0).toLocaleString('en-US')} customers; one partner (a product group holding the seeded product granted to it) owns every 10th customer and with them every 10th license ` +
        `(80% sold by the partner: sold_by and created_by as the licenses service writes them; 20% sold by the vendor to its customers). 30% of all licenses are annual subscriptions started up to two years ago and renewed since (every 5th cancelled after its first term), the others perpetual. ` +
        `Every request is sent as the partner's admin (a session stored as the sessions module stores it) to \`keyhaven serve\`, one at a time, from a client pinned to the other core: the list's first page (\`GET ${LIST_PATH}?limit=50\`), a page 90% of the way through the partner's licenses (its cursor is the id the server's nextCursor names there, found by SQL and checked against the server's cursor on the first page), ` +
        `the active-subscriptions report for today (\`GET ${REPORT_PATH}?day=…\`, which a partner admin may call for its own partner) and its CSV export. ` +
        `For each, a fresh server answers a first request (reported as "first": a new server process, Node and the database's page cache cold, the operating system's file cache warm from seeding); that answer becomes the constant body of a bare Fastify GET route, and ${settings.requests} requests per list (${REPORT_REQUESTS} per report) then go to the bare route and to Keyhaven in ${settings.rounds} alternating blocks, after one unrecorded request each (warm). ` +
        `Ratio: the bare route's p50 over Keyhaven's (1.000 = as fast as sending the same bytes from a bare route); for the report also the floor, a raw indexed SELECT count of the same rows in a process pinned to the server core (first run apart, then ${REPORT_REQUESTS} timed). ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(
      `Targets (SQLite; PostgreSQL reported against the same numbers for information): the list's first page and the deep page p99 ≤ ${TARGETS.listP99Ms} ms (warm); the report and its CSV export in ≤ ${TARGETS.reportMs / 1000} s, every request including the first; the answers exactly right.`,
    );
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const notes = [
        `seeded in ${p.seed.seconds.toFixed(1)} s; the partner: ${fmt.int(p.partner.partnerCustomers)} customers, ${fmt.int(p.partner.partnerLicenses)} licenses (${fmt.int(p.partner.soldByPartner)} sold by it), ${fmt.int(p.partner.partnerSubscriptions)} subscriptions, ${fmt.int(p.floor.count)} of them active on ${p.day}`,
        `answers: first page ${fmt.int(p.firstPage.bytes)} B, deep page ${fmt.int(p.deepPage.bytes)} B, report ${fmt.int(p.report.bytes)} B, CSV ${fmt.int(p.csv.bytes)} B`,
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('Latencies are from sending the request to reading the last byte of the answer, in the client process; each request waits for the previous answer.');
    return r.render();
  },
};
