#!/usr/bin/env node
// `npm run bench`: Keyhaven's benchmarks. Each suite reports its figure as a ratio to a baseline measured
// in the same run (the machines are shared and noisy), checks its targets and prints PASS/FAIL lines.
//
//   validate   validateLicense against a bare Fastify route, N seeded licenses (bench/suites/validate.mjs)
//   activate   activateMachine: activations/s across many licenses against the bare route, then a burst
//              of concurrent activations on one 10-seat license: exactly 10 succeed (bench/suites/activate.mjs)
//   heartbeat  heartbeatMachine on activated floating machines against the bare route (bench/suites/heartbeat.mjs)
//   sdk        the SDK's offline verifyLicenseFile against a bare crypto.verify (bench/suites/sdk.mjs)
//   cull       MachinesService.cull on 100,000 floating leases, 10% lapsed, against a bare DELETE (bench/suites/cull.mjs)
//   reminders  RemindersService.sweep over 1,000,000 licenses (every due reminder found and enqueued) against a raw
//              indexed SELECT of the same rows, plus the reminder jobs and the steady hourly sweep (bench/suites/reminders.mjs)
//   mail       mail recorded through MailService.send and delivered by the mail.send jobs to an in-process SMTP
//              server, against raw nodemailer sends to the same server (bench/suites/mail.mjs)
//   updates    checkForUpdate with 40 published releases (files on three platforms) against the bare route;
//              profiled with node --cpu-prof when the SQLite ratio is missed (bench/suites/updates.mjs)
//   download   a 500 MB artifact uploaded, then downloaded through a signed link, against a raw node http
//              server streaming the same file (bench/download-baseline.mjs); server RSS during the
//              downloads (bench/suites/download.mjs)
//   partners   a partner admin's scoped license list (first page and a page 90% in) and its active-subscriptions
//              report with the CSV export, 1,000,000 licenses of which 100,000 the partner's, sequential requests
//              through the real server against a bare route answering the same bytes, and the report
//              against a raw indexed SELECT count of its rows (bench/suites/partners.mjs)
//   exports    every license (1,000,000) exported as CSV through the real server (GET /v1/licenses/export, streamed):
//              rows/s against a floor (the same rows read raw in the same keyset pages, written as CSV to
//              /dev/null) and the server's RSS growth during the export (bench/suites/exports.mjs)
//
// The database suites run on SQLite and PostgreSQL: a fresh database per suite, migrated by the server's
// own CLI and seeded directly; `keyhaven serve` (the real CLI) is pinned to CPU 0 and the load generator
// (autocannon, bench/load.mjs) to CPU 1 with taskset. Results are printed, checked against the targets and
// written to bench/results/: <suite>-<date>.json per suite, and latest.md, which keeps one section per
// suite (a run replaces the sections of the suites it ran).
//
//   npm run bench -- [--suite S[,S...]] [--licenses N] [--duration S] [--warmup S] [--connections C]
//                    [--only sqlite|postgres] [--rounds R] [--sample K] [--burst N] [--seats N]
//                    [--machines N] [--leases N] [--lapsed F] [--messages N] [--requests N] [--keep] [--skip-build]
//                    [--check]
//
//   --suite S        validate, activate, heartbeat, sdk, cull, reminders, mail, updates, download, partners, exports, or all
//                    (default all), or a comma list
//   --licenses N     licenses seeded per database (validate, reminders, partners, exports 1000000; activate, heartbeat, updates 100000)
//   --duration S     measured seconds per target (validate 15; activate, heartbeat, updates 9; sdk 6 per variant);
//                    --warmup S before it (validate 5; activate, heartbeat, updates 3; sdk 1)
//   --rounds R       the measured seconds are split into R runs per target, alternating between the
//                    baseline and Keyhaven so that a slow spell hits both alike (default 3; sdk 12);
//                    cull: R rounds of bare DELETE + cull; reminders: R rounds on fresh copies; mail: R rounds;
//                    download: R downloads per target; partners: R alternating blocks of sequential requests (4);
//                    exports: R exports and R floor runs (1)
//   --connections C  concurrent connections of the load generator (default 50)
//   --only D         sqlite or postgres (default both)
//   --sample K       keys the requests pick from at random, spread evenly over the table (default 10000;
//                    updates 1000)
//   --burst N        activate: concurrent activations on the contended license (default 500)
//   --seats N        activate: seats of the contended license (default 10)
//   --machines N     heartbeat: floating machines seeded per license (default 2)
//   --leases N       cull: floating leases seeded (default 100000); --lapsed F: the lapsed fraction (0.1)
//   --messages N     mail: messages per round, baseline and Keyhaven each (default 2000)
//   --requests N     partners: sequential requests per list page, baseline and Keyhaven each (default 200)
//   --keep           keep the temporary data directories and the PostgreSQL databases
//   --skip-build     do not run tsc first (use the current packages/server/dist and packages/sdk/dist)
//   --check          exit with status 1 when a SQLite target (or the SDK's) is missed
//
// Environment: BENCH_SUITE, BENCH_LICENSES, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ROUNDS,
// BENCH_ONLY override the defaults like the flags; BENCH_DOWNLOAD_MB sets the size of the download suite's
// artifact (default 500); BENCH_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres) names the server on which throwaway databases
// keyhaven_bench_<suite>_<timestamp> are created and dropped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuCount, cpuModel, installSignalHandlers, isInterrupted, log, pinning, root, rootRequire, sdkDir, serverDir, stopEverything, writeAtomic } from '../bench/harness.mjs';
import activate from '../bench/suites/activate.mjs';
import cull from '../bench/suites/cull.mjs';
import mail from '../bench/suites/mail.mjs';
import reminders from '../bench/suites/reminders.mjs';
import download from '../bench/suites/download.mjs';
import heartbeat from '../bench/suites/heartbeat.mjs';
import sdk from '../bench/suites/sdk.mjs';
import updates from '../bench/suites/updates.mjs';
import partners from '../bench/suites/partners.mjs';
import exportsSuite from '../bench/suites/exports.mjs';
import validate from '../bench/suites/validate.mjs';

/** Every suite, in the order `all` runs them (and latest.md lists them). */
const SUITES = [validate, activate, heartbeat, sdk, cull, reminders, mail, updates, download, partners, exportsSuite];

// ---------------------------------------------------------------------------------------------- options
const { values: opt } = parseArgs({
  options: {
    suite: { type: 'string' },
    licenses: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    sample: { type: 'string' },
    rounds: { type: 'string' },
    burst: { type: 'string' },
    seats: { type: 'string' },
    machines: { type: 'string' },
    leases: { type: 'string' },
    messages: { type: 'string' },
    requests: { type: 'string' },
    lapsed: { type: 'string' },
    keep: { type: 'boolean' },
    'skip-build': { type: 'boolean' },
    check: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (opt.help) {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
  process.stdout.write(header.map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const usage = (message) => {
  console.error(message);
  process.exit(2);
};
/** A whole number ≥ min from a flag or variable, or undefined when not given (the suite's default applies). */
const num = (name, raw, min) => {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(String(raw).replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) usage(`--${name} must be a whole number ≥ ${min} (got "${raw}")`);
  return n;
};
const given = {
  licenses: num('licenses', opt.licenses ?? process.env.BENCH_LICENSES, 1),
  durationSeconds: num('duration', opt.duration ?? process.env.BENCH_DURATION, 1),
  warmupSeconds: num('warmup', opt.warmup ?? process.env.BENCH_WARMUP, 0),
  connections: num('connections', opt.connections ?? process.env.BENCH_CONNECTIONS, 1),
  sampleSize: num('sample', opt.sample, 1),
  rounds: num('rounds', opt.rounds ?? process.env.BENCH_ROUNDS, 1),
  burst: num('burst', opt.burst, 2),
  seats: num('seats', opt.seats, 1),
  machines: num('machines', opt.machines, 1),
  leases: num('leases', opt.leases, 10),
  messages: num('messages', opt.messages, 1),
  requests: num('requests', opt.requests, 1),
  lapsed: opt.lapsed === undefined ? undefined : Number(opt.lapsed),
};
if (given.lapsed !== undefined && !(given.lapsed > 0 && given.lapsed <= 1)) usage('--lapsed must be a fraction in (0, 1]');

const suiteArg = opt.suite ?? process.env.BENCH_SUITE ?? 'all';
const suiteNames = suiteArg === 'all' ? SUITES.map((s) => s.name) : suiteArg.split(',').map((s) => s.trim());
for (const name of suiteNames) if (!SUITES.some((s) => s.name === name)) usage(`--suite must be one of ${SUITES.map((s) => s.name).join(', ')} or all (got "${name}")`);
const suites = SUITES.filter((s) => suiteNames.includes(s.name));

const only = opt.only ?? process.env.BENCH_ONLY;
if (only !== undefined && !['sqlite', 'postgres'].includes(only)) usage('--only must be sqlite or postgres');
const dialects = only ? [only] : ['sqlite', 'postgres'];

/** A suite's settings: what was given on the command line, else the suite's own defaults, else the common ones. */
function settingsFor(suite) {
  const d = suite.defaults;
  const pick = (name, fallback) => given[name] ?? d[name] ?? fallback;
  const licenses = pick('licenses', undefined);
  const settings = {
    licenses,
    sampleSize: Math.min(pick('sampleSize', 10_000), licenses ?? Infinity),
    load: {
      connections: pick('connections', 50),
      durationSeconds: pick('durationSeconds', 15),
      warmupSeconds: pick('warmupSeconds', 5),
      rounds: pick('rounds', 3),
    },
    rounds: pick('rounds', 3),
    burst: pick('burst', undefined),
    seats: pick('seats', undefined),
    machines: pick('machines', undefined),
    leases: pick('leases', undefined),
    messages: pick('messages', undefined),
    requests: pick('requests', undefined),
    lapsed: pick('lapsed', undefined),
  };
  if (suite.name === 'activate' && settings.burst <= settings.seats) usage('--burst must be larger than --seats');
  return settings;
}

// ------------------------------------------------------------------------------------------- results
const resultsDir = path.join(root, 'bench/results');
const latestFile = path.join(resultsDir, 'latest.md');
const marker = (name, end = false) => `<!-- ${end ? '/' : ''}suite:${name} -->`;

/** latest.md with the sections of the suites just run replaced, the others kept as they were. */
function updateLatest(sections) {
  const previous = existsSync(latestFile) ? readFileSync(latestFile, 'utf8') : '';
  const blocks = SUITES.map(({ name }) => {
    if (sections.has(name)) return sections.get(name);
    const from = previous.indexOf(marker(name));
    const to = previous.indexOf(marker(name, true));
    return from !== -1 && to > from ? previous.slice(from + marker(name).length, to).trim() : undefined;
  });
  const body = SUITES.map(({ name }, i) => (blocks[i] ? `${marker(name)}\n${blocks[i].trim()}\n${marker(name, true)}` : undefined)).filter(Boolean);
  const intro = '# Keyhaven benchmarks: latest results\n\nWritten by `npm run bench`; each section comes from the last run of its suite (see its date). Options and method: `scripts/bench.mjs` and `bench/suites/`.\n';
  writeAtomic(latestFile, `${intro}\n${body.join('\n\n')}\n`);
}

// ----------------------------------------------------------------------------------------------- main
function build() {
  const tsc = rootRequire.resolve('typescript/bin/tsc');
  const projects = [path.join(serverDir, 'tsconfig.json')];
  if (suites.some((s) => s.name === 'sdk')) projects.push(path.join(sdkDir, 'tsconfig.json'));
  for (const project of projects) {
    log(`building ${path.relative(root, path.dirname(project))} (tsc -p ${path.relative(root, project)})`);
    const r = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`the build of ${path.relative(root, path.dirname(project))} failed`);
  }
}

async function main() {
  const started = new Date();
  const runStamp = started.toISOString().replace(/\D/g, '').slice(0, 14);
  log(`keyhaven benchmarks: ${suites.map((s) => s.name).join(', ')}; databases: ${dialects.join(' + ')}`);
  log(pinning.enabled ? pinning.reason : `WARNING: ${pinning.reason}`);
  if (!opt['skip-build']) build();
  mkdirSync(resultsDir, { recursive: true });

  const sections = new Map();
  const outcomes = [];
  for (const suite of suites) {
    const suiteStarted = new Date();
    const settings = settingsFor(suite);
    const result = await suite.run(settings, { dialects, runStamp, keep: Boolean(opt.keep) });
    if (isInterrupted()) throw new Error('interrupted');
    await stopEverything();
    const meta = {
      suite: suite.name,
      startedAt: suiteStarted.toISOString(),
      finishedAt: new Date().toISOString(),
      settings,
      pinning: pinning.reason,
      cpus: cpuCount,
      cpuModel,
      node: process.version,
    };
    const { text, markdown, failed, informationalFailed } = suite.report(result, settings, meta);
    console.log(text);
    const stamp = suiteStarted.toISOString().replace(/:/g, '-').replace(/\..*/, '');
    const jsonFile = path.join(resultsDir, `${suite.name}-${stamp}.json`);
    writeAtomic(jsonFile, JSON.stringify({ ...meta, failed, informationalFailed, result }, null, 2) + '\n');
    sections.set(suite.name, markdown);
    updateLatest(sections);
    const verdict = `${failed ? 'FAIL' : 'PASS'}${informationalFailed ? ' (informational targets missed)' : ''}`;
    log(`${suite.name}: ${verdict}; results written to ${path.relative(root, jsonFile)} and bench/results/latest.md (${((Date.now() - suiteStarted.getTime()) / 1000).toFixed(0)} s)`);
    outcomes.push({ name: suite.name, failed, verdict });
  }
  log(`done in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s: ${outcomes.map((o) => `${o.name} ${o.verdict}`).join(', ')}`);
  if (opt.check && outcomes.some((o) => o.failed)) process.exitCode = 1;
}

installSignalHandlers();
try {
  await main();
} catch (error) {
  if (isInterrupted()) await new Promise(() => {}); // the signal handler cleans up and exits
  console.error(`[bench] FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopEverything();
}
