#!/usr/bin/env node
// `npm run bench`: validateLicense throughput and latency against a bare Fastify route, on SQLite and
// PostgreSQL, each with N seeded licenses (default 1,000,000).
//
// For each database: a fresh database is created, migrated by the server's own CLI and seeded (one
// transaction); `keyhaven serve` starts pinned to CPU 0 (taskset); a bare Fastify server answering a
// constant body the size of a real validate answer is measured first, then Keyhaven, each by autocannon
// (50 connections, warm-up, then the measured run) in its own process pinned to CPU 1. The server's
// resident memory is sampled from /proc during the load. Results are printed as a table, checked against
// the targets and written to bench/results/ (validate-<date>.json and latest.md).
//
//   npm run bench -- [--licenses N] [--duration S] [--warmup S] [--connections C] [--only sqlite|postgres]
//                    [--rounds R] [--sample K] [--keep] [--skip-build] [--check]
//
//   --licenses N     licenses seeded per database (default 1000000)
//   --duration S     measured seconds per target (default 15); --warmup S before it (default 5)
//   --rounds R       the measured seconds are split into R runs per target, alternating between the
//                    bare route and Keyhaven so that a slow spell hits both alike (default 3)
//   --connections C  concurrent connections (default 50)
//   --only D         sqlite or postgres (default both)
//   --sample K       keys the requests pick from at random, spread evenly over the table (default 10000)
//   --keep           keep the temporary data directory and the PostgreSQL database
//   --skip-build     do not run tsc first (use the current packages/server/dist)
//   --check          exit with status 1 when a SQLite target is missed
//
// Environment: BENCH_LICENSES, BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ONLY override the
// defaults; BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server
// on which a throwaway database keyhaven_bench_<timestamp> is created and dropped.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = path.join(root, 'packages/server');
const cli = path.join(serverDir, 'dist/cli.js');
const rootRequire = createRequire(path.join(root, 'package.json'));
const serverRequire = createRequire(path.join(serverDir, 'package.json'));

const TARGETS = { ratio: 0.4, p99Ms: 25, rssMb: 250 };
const VALIDATE_PATH = '/v1/licenses/validate';

// ---------------------------------------------------------------------------------------------- options
const { values: opt } = parseArgs({
  options: {
    licenses: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    sample: { type: 'string' },
    rounds: { type: 'string' },
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
const num = (name, raw, fallback, min) => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(String(raw).replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number ≥ ${min} (got "${raw}")`);
    process.exit(2);
  }
  return n;
};
const settings = {
  licenses: num('licenses', opt.licenses ?? process.env.BENCH_LICENSES, 1_000_000, 1),
  durationSeconds: num('duration', opt.duration ?? process.env.BENCH_DURATION, 15, 1),
  warmupSeconds: num('warmup', opt.warmup ?? process.env.BENCH_WARMUP, 5, 0),
  connections: num('connections', opt.connections ?? process.env.BENCH_CONNECTIONS, 50, 1),
  sampleSize: num('sample', opt.sample, 10_000, 1),
  rounds: num('rounds', opt.rounds ?? process.env.BENCH_ROUNDS, 3, 1),
};
settings.sampleSize = Math.min(settings.sampleSize, settings.licenses);
const only = opt.only ?? process.env.BENCH_ONLY;
if (only !== undefined && !['sqlite', 'postgres'].includes(only)) {
  console.error('--only must be sqlite or postgres');
  process.exit(2);
}
const dialects = only ? [only] : ['sqlite', 'postgres'];
const postgresAdminUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

// ------------------------------------------------------------------------------------ process handling
const children = new Set();
const cleanups = [];
const log = (...parts) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);

const cpuCount = os.availableParallelism?.() ?? os.cpus().length;
const pinning = (() => {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return { enabled: false, reason: 'taskset (util-linux) is not available: server and load generator are NOT pinned and share the CPUs' };
  if (cpuCount < 2) return { enabled: false, reason: `only ${cpuCount} CPU: server and load generator are NOT pinned to separate cores` };
  return { enabled: true, serverCpu: 0, loadCpu: 1, reason: `server pinned to CPU 0, load generator to CPU 1 (taskset); ${cpuCount} CPUs` };
})();

/** Starts a node process, pinned to `cpu` when taskset is usable. Output is kept (last 64 KiB) for errors. */
function startNode(name, args, { env, cpu }) {
  const command = pinning.enabled && cpu !== undefined ? 'taskset' : process.execPath;
  const argv = pinning.enabled && cpu !== undefined ? ['-c', String(cpu), process.execPath, ...args] : args;
  // taskset execs node, so the pid is the node process itself (its /proc status is the server's).
  const child = spawn(command, argv, { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.label = name;
  child.output = '';
  const keep = (chunk) => {
    child.output = (child.output + chunk.toString()).slice(-65536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited.then(() => children.delete(child));
  children.add(child);
  return child;
}

/** SIGTERM (the server flushes its buffered validation log), then SIGKILL after `graceMs`. */
async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

async function stopEverything() {
  await Promise.all([...children].map((c) => stopChild(c, 5_000).catch(() => {})));
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop();
    try {
      await cleanup();
    } catch (error) {
      console.error(`[bench] cleanup failed: ${error.message}`);
    }
  }
}

let interrupted = false;
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => {
    console.error(`[bench] FAILED: ${error?.stack ?? error}`);
    if (interrupted) return;
    interrupted = true;
    stopEverything().finally(() => process.exit(1));
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n[bench] ${signal}: stopping every process this run started...`);
    stopEverything().finally(() => process.exit(130));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(child, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${child.label} exited before answering:\n${child.output}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.label} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.output}`);
}

/** Jiffies: the machine's busy time (all CPUs) and one process's user+system time. */
function machineBusyTicks() {
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return total - f[3] - (f[4] ?? 0); // minus idle and iowait
}
function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
  } catch {
    return undefined;
  }
}
function cpuSnapshot(pids) {
  try {
    return { at: performance.now(), busy: machineBusyTicks(), procs: pids.map(processTicks) };
  } catch {
    return undefined; // no /proc
  }
}
/** Adds the CPU used between two snapshots to `acc` (jiffies and seconds). */
function addCpu(acc, a, b) {
  if (!a || !b || a.procs.some((t) => t === undefined) || b.procs.some((t) => t === undefined)) {
    acc.unknown = true;
    return;
  }
  const server = b.procs[0] - a.procs[0];
  const loader = b.procs[1] - a.procs[1];
  acc.seconds += (b.at - a.at) / 1000;
  acc.server += server;
  acc.loader += loader;
  acc.other += Math.max(0, b.busy - a.busy - server - loader);
}
/** CPU use during a target's measured runs, in % of one core: the server, the load generator, everything else. */
function cpuUse(acc, requests) {
  if (acc.unknown || acc.seconds === 0) return undefined;
  const hz = 100; // USER_HZ on Linux
  const pct = (ticks) => Math.round((ticks / hz / acc.seconds) * 100);
  return {
    serverPct: pct(acc.server),
    loadGeneratorPct: pct(acc.loader),
    otherPct: pct(acc.other),
    // Server CPU time per answered request: steadier than req/s when other processes share the machine.
    serverMicrosPerRequest: requests > 0 ? Math.round(((acc.server / hz) * 1e6) / requests) : undefined,
  };
}

function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the load generator (its own process, pinned to the other core) against the targets, interleaved
 * (see bench/load.mjs), sampling the resident memory of the server under load every 100 ms and the CPU
 * use of each measured run.
 */
async function runLoad(label, targets, bodies, workDir) {
  const jobFile = path.join(workDir, `load-${label.replace(/\W+/g, '-')}.json`);
  const segmentSeconds = Math.max(1, Math.ceil(settings.durationSeconds / settings.rounds));
  writeFileSync(
    jobFile,
    JSON.stringify({
      targets: targets.map(({ name, url }) => ({ name, url })),
      path: VALIDATE_PATH,
      bodies,
      connections: settings.connections,
      warmupSeconds: settings.warmupSeconds,
      rounds: settings.rounds,
      segmentSeconds,
    }),
  );
  const per = new Map(
    targets.map((t) => [t.name, { pid: t.pid, rss: { idleKb: rssKb(t.pid), peakKb: 0, peakMeasuredKb: 0 }, cpu: { seconds: 0, server: 0, loader: 0, other: 0 } }]),
  );
  let active; // { name, measuring }
  const sampler = setInterval(() => {
    if (!active) return;
    const t = per.get(active.name);
    const kb = rssKb(t.pid);
    if (kb === undefined) return;
    t.rss.peakKb = Math.max(t.rss.peakKb, kb);
    if (active.measuring) t.rss.peakMeasuredKb = Math.max(t.rss.peakMeasuredKb, kb);
  }, 100);
  const loader = startNode(`load generator (${label})`, [path.join(root, 'bench/load.mjs'), jobFile], { env: process.env, cpu: pinning.enabled ? pinning.loadCpu : undefined });
  let result;
  let snapshot;
  let round = 0;
  let buffered = '';
  loader.stdout.on('data', (chunk) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('PHASE ')) {
        const [phase, name] = line.slice(6).trim().split(' ');
        if (active?.measuring && snapshot) addCpu(per.get(active.name).cpu, snapshot, cpuSnapshot([per.get(active.name).pid, loader.pid]));
        snapshot = undefined;
        active = undefined;
        if (phase === 'warmup') {
          active = { name, measuring: false };
          log(`  ${label}: warm-up ${name} ${settings.warmupSeconds} s`);
        } else if (phase === 'measure') {
          active = { name, measuring: true };
          snapshot = cpuSnapshot([per.get(name).pid, loader.pid]);
          if (name === targets[0].name) round++;
          log(`  ${label}: measuring ${name} ${segmentSeconds} s (round ${round} of ${settings.rounds})`);
        }
      } else if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
    }
  });
  try {
    const { code, signal } = await loader.exited;
    if (interrupted) throw new Error('interrupted');
    if (code !== 0 || !result) throw new Error(`load generator failed (${signal ?? code}):\n${loader.output}`);
  } finally {
    clearInterval(sampler);
  }
  const out = {};
  for (const t of targets) {
    const r = result[t.name];
    const p = per.get(t.name);
    out[t.name] = { ...r, rss: { ...p.rss, endKb: rssKb(t.pid) }, cpu: cpuUse(p.cpu, r.requestsTotal) };
  }
  return out;
}

// ------------------------------------------------------------------------------------------ databases
function baseEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('KEYHAVEN_') || name === 'DATABASE_URL' || name === 'PORT' || name === 'HOST') delete env[name];
  return env;
}

function migrate(env) {
  const r = spawnSync(process.execPath, [cli, 'migrate'], { env, cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keyhaven migrate failed:\n${r.stdout}\n${r.stderr}`);
}

async function postgresReachable() {
  const pg = serverRequire('pg');
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const { rows } = await client.query('show server_version');
    return { ok: true, version: rows[0].server_version };
  } catch (error) {
    return { ok: false, reason: error.message };
  } finally {
    await client.end().catch(() => {});
  }
}

async function postgresAdmin(sql) {
  const pg = serverRequire('pg');
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

async function countValidations(dialect, env) {
  if (dialect === 'sqlite') {
    const SQLite = serverRequire('better-sqlite3');
    const db = new SQLite(path.join(env.KEYHAVEN_DATA_DIR, 'keyhaven.sqlite'), { readonly: true });
    try {
      return db.prepare('select count(*) as n from validations').get().n;
    } finally {
      db.close();
    }
  }
  const pg = serverRequire('pg');
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query('select count(*)::int as n from validations')).rows[0].n;
  } finally {
    await client.end().catch(() => {});
  }
}

// ------------------------------------------------------------------------------------------- one pass
async function benchDialect(dialect, seedModule, runStamp) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `keyhaven-bench-${dialect}-`));
  cleanups.push(() => (opt.keep ? log(`kept ${workDir}`) : rmSync(workDir, { recursive: true, force: true })));
  const masterKey = randomBytes(32);
  const env = {
    ...baseEnv(),
    KEYHAVEN_DATA_DIR: workDir,
    KEYHAVEN_MASTER_KEY: masterKey.toString('base64'),
    LOG_LEVEL: 'warn',
    KEYHAVEN_CLIENT_RATE_LIMIT: '100000000',
    HOST: '127.0.0.1',
  };
  const info = { dialect };

  if (dialect === 'postgres') {
    const reach = await postgresReachable();
    if (!reach.ok) {
      log(`PostgreSQL is not reachable at ${postgresAdminUrl.replace(/\/\/[^@]*@/, '//')} (${reach.reason}): SKIPPED`);
      return { dialect, skipped: true, reason: `PostgreSQL not reachable: ${reach.reason}` };
    }
    info.serverVersion = `PostgreSQL ${reach.version}`;
    const dbName = `keyhaven_bench_${runStamp}`;
    await postgresAdmin(`create database ${dbName}`);
    cleanups.push(async () => {
      if (opt.keep) return log(`kept database ${dbName}`);
      await postgresAdmin(`drop database if exists ${dbName} with (force)`);
      log(`dropped database ${dbName}`);
    });
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${dbName}`;
    env.DATABASE_URL = url.toString();
    info.database = dbName;
  } else {
    info.serverVersion = `SQLite ${new (serverRequire('better-sqlite3'))(':memory:').prepare('select sqlite_version() as v').get().v}`;
  }

  log(`${dialect}: migrating a fresh database`);
  migrate(env);
  log(`${dialect}: seeding ${settings.licenses.toLocaleString('en-US')} licenses`);
  const seeded =
    dialect === 'sqlite'
      ? await seedModule.seedSqlite({ file: path.join(workDir, 'keyhaven.sqlite'), masterKey, licenses: settings.licenses, sampleSize: settings.sampleSize })
      : await seedModule.seedPostgres({ url: env.DATABASE_URL, masterKey, licenses: settings.licenses, sampleSize: settings.sampleSize });
  const { sample, ...seedTimes } = seeded;
  info.seed = seedTimes;
  log(`${dialect}: seeded in ${seedTimes.seconds.toFixed(1)} s (${Math.round(settings.licenses / seedTimes.seconds).toLocaleString('en-US')} licenses/s)`);

  // Keyhaven, pinned to the server core.
  const port = await freePort();
  const server = startNode(`keyhaven serve (${dialect})`, [cli, 'serve'], { env: { ...env, PORT: String(port) }, cpu: pinning.enabled ? pinning.serverCpu : undefined });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(server, `${base}/health`);

  // A real answer: checks the setup and gives the baseline its body.
  const probe = async (key) => {
    const res = await fetch(base + VALIDATE_PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
    return { status: res.status, signature: res.headers.get('keyhaven-signature'), text: await res.text() };
  };
  const first = await probe(sample[0]);
  const answer = JSON.parse(first.text);
  if (first.status !== 200 || answer.valid !== true || !first.signature) throw new Error(`unexpected validate answer (${first.status}): ${first.text}`);
  for (let i = 0; i < 20; i++) {
    const r = await probe(sample[Math.floor(Math.random() * sample.length)]);
    if (r.status !== 200 || JSON.parse(r.text).valid !== true) throw new Error(`a seeded key does not validate (${r.status}): ${r.text}`);
  }
  info.responseBytes = Buffer.byteLength(first.text);
  const bodyFile = path.join(workDir, 'validate-answer.json');
  writeFileSync(bodyFile, first.text);
  const bodies = sample.map((key) => JSON.stringify({ key }));

  // The baseline, on the same core; measured interleaved with Keyhaven (each idles while the other runs).
  const basePort = await freePort();
  const baseline = startNode('baseline', [path.join(root, 'bench/baseline-server.mjs')], {
    env: { ...process.env, PORT: String(basePort), HOST: '127.0.0.1', BODY_FILE: bodyFile },
    cpu: pinning.enabled ? pinning.serverCpu : undefined,
  });
  await waitForHealth(baseline, `http://127.0.0.1:${basePort}/health`);
  const baselineBytes = (await (await fetch(`http://127.0.0.1:${basePort}${VALIDATE_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0] })).text()).length;
  log(`${dialect}: bare Fastify route (${baselineBytes} B answer) and keyhaven validateLicense (${info.responseBytes} B signed answer)`);

  const before = await countValidations(dialect, env);
  const loads = await runLoad(dialect, [
    { name: 'baseline', url: `http://127.0.0.1:${basePort}`, pid: baseline.pid },
    { name: 'keyhaven', url: base, pid: server.pid },
  ], bodies, workDir);
  await stopChild(baseline);
  await stopChild(server); // graceful: flushes the buffered validation log
  info.validationsLogged = (await countValidations(dialect, env)) - before;
  const baselineResult = loads.baseline;
  const keyhavenResult = loads.keyhaven;

  return { ...info, skipped: false, baseline: { ...baselineResult, responseBytes: baselineBytes }, keyhaven: keyhavenResult };
}

// ----------------------------------------------------------------------------------------- reporting
const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  ms: (n) => (n === undefined ? '-' : Number(n).toFixed(n < 10 ? 2 : 1)),
  mb: (kb) => (kb ? (kb / 1024).toFixed(0) : '-'),
};

function evaluate(pass) {
  const k = pass.keyhaven;
  const ratio = k.requestsPerSecond / pass.baseline.requestsPerSecond;
  const clean = k.non2xx === 0 && k.errors === 0 && k.timeouts === 0;
  return {
    ratio,
    checks: [
      { name: `ratio to bare route ≥ ${TARGETS.ratio.toFixed(2)}`, value: ratio.toFixed(3), pass: ratio >= TARGETS.ratio },
      { name: `p99 ≤ ${TARGETS.p99Ms} ms`, value: `${k.latencyMs.p99} ms`, pass: k.latencyMs.p99 <= TARGETS.p99Ms },
      { name: `peak RSS ≤ ${TARGETS.rssMb} MB`, value: `${fmt.mb(k.rss.peakKb)} MB`, pass: k.rss.peakKb / 1024 <= TARGETS.rssMb },
      { name: 'no errors, timeouts or non-2xx', value: `${k.errors} errors, ${k.timeouts} timeouts, ${k.non2xx} non-2xx`, pass: clean },
    ],
  };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function mdTable(rows) {
  return [`| ${rows[0].join(' | ')} |`, `| ${rows[0].map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function resultRows(passes) {
  const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'ratio', 'server CPU µs/req']];
  const micros = (r) => (r.cpu?.serverMicrosPerRequest !== undefined ? String(r.cpu.serverMicrosPerRequest) : '-');
  for (const p of passes) {
    if (p.skipped) {
      rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-']);
      continue;
    }
    const { ratio } = evaluate(p);
    const name = p.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    rows.push([`bare Fastify route (${name} pass)`, fmt.int(p.baseline.requestsPerSecond), fmt.ms(p.baseline.latencyMs.p50), fmt.ms(p.baseline.latencyMs.p99), fmt.mb(p.baseline.rss.peakKb), '1.000', micros(p.baseline)]);
    rows.push([`validateLicense, ${name}, signed`, fmt.int(p.keyhaven.requestsPerSecond), fmt.ms(p.keyhaven.latencyMs.p50), fmt.ms(p.keyhaven.latencyMs.p99), fmt.mb(p.keyhaven.rss.peakKb), ratio.toFixed(3), micros(p.keyhaven)]);
  }
  return rows;
}

function report(passes, meta) {
  const rows = resultRows(passes);
  const out = [];
  const md = [];
  out.push('', table(rows), '');
  md.push(`# validateLicense benchmark — ${meta.startedAt}`, '', mdTable(rows), '');
  md.push(
    `${meta.settings.licenses.toLocaleString('en-US')} licenses per database; ${meta.settings.connections} connections; ${meta.settings.warmupSeconds} s warm-up + ${meta.settings.durationSeconds} s measured per target in ${meta.settings.rounds} runs alternating between the bare route and Keyhaven; ` +
      `each request picks one of ${meta.settings.sampleSize.toLocaleString('en-US')} keys sampled evenly over the table, at random. ${meta.pinning}. Node ${process.version}, ${meta.cpuModel}.`,
    '',
    `Targets (SQLite): signed validation ≥ ${TARGETS.ratio} of the bare route, p99 ≤ ${TARGETS.p99Ms} ms, server RSS ≤ ${TARGETS.rssMb} MB under that load (peak from /proc/<pid>/status VmRSS over warm-up and measured run). PostgreSQL figures are reported against the same numbers for information.`,
    '',
  );
  for (const p of passes) {
    if (p.skipped) {
      out.push(`${p.dialect}: SKIPPED (${p.reason})`);
      md.push(`- **${p.dialect}**: skipped (${p.reason})`);
      continue;
    }
    const gate = p.dialect === 'sqlite';
    const { checks } = evaluate(p);
    const all = checks.every((c) => c.pass);
    const head = `${p.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (${p.serverVersion})${gate ? '' : ' — informational'}: ${all ? 'PASS' : 'FAIL'}`;
    out.push(head);
    md.push(`## ${head}`, '');
    for (const c of checks) {
      out.push(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.value}`);
      md.push(`- ${c.pass ? 'PASS' : 'FAIL'} — ${c.name}: ${c.value}`);
    }
    const s = p.seed;
    const seedLine = `seeded ${meta.settings.licenses.toLocaleString('en-US')} licenses in ${s.seconds.toFixed(1)} s (insert ${s.insertSeconds.toFixed(1)} s, waiting for key generation ${s.waitingForKeysSeconds.toFixed(1)} s${s.analyzeSeconds !== undefined ? `, analyze ${s.analyzeSeconds.toFixed(1)} s` : ''}${s.checkpointSeconds !== undefined ? `, WAL checkpoint ${s.checkpointSeconds.toFixed(1)} s` : ''})`;
    const extra = `validate answer ${p.responseBytes} B; p90 ${fmt.ms(p.keyhaven.latencyMs.p90)} ms, max ${fmt.ms(p.keyhaven.latencyMs.max)} ms; RSS idle ${fmt.mb(p.keyhaven.rss.idleKb)} MB → peak ${fmt.mb(p.keyhaven.rss.peakKb)} MB; ${p.validationsLogged.toLocaleString('en-US')} validations logged for ${(p.keyhaven.warmupRequestsSent + p.keyhaven.requestsSent).toLocaleString('en-US')} requests sent (warm-up + measured)`;
    const cpu = (r) => (r.cpu ? `server ${r.cpu.serverPct}%, load generator ${r.cpu.loadGeneratorPct}%, other processes ${r.cpu.otherPct}%` : 'unknown');
    const cpuLine = `CPU during the measured runs (% of one core): bare route: ${cpu(p.baseline)}; validateLicense: ${cpu(p.keyhaven)}`;
    out.push(`  ${seedLine}`, `  ${extra}`, `  ${cpuLine}`);
    md.push(`- ${seedLine}`, `- ${extra}`, `- ${cpuLine}`);
    const busy = [p.baseline, p.keyhaven].some((r) => r.cpu && r.cpu.otherPct > 15);
    if (busy && p.dialect === 'sqlite') {
      const warn = 'WARNING: other processes used more than 15% of a core during a measured run: these figures are noisy; rerun on a quiet machine';
      out.push(`  ${warn}`);
      md.push(`- **${warn}**`);
    }
    if ([p.baseline, p.keyhaven].some((r) => r.cpu && r.cpu.loadGeneratorPct >= 95)) {
      const warn = 'WARNING: the load generator used a whole core: it may be the limit, not the server';
      out.push(`  ${warn}`);
      md.push(`- **${warn}**`);
    }
    out.push('');
    md.push('');
    if (p.dialect === 'postgres') {
      const note = 'note: the PostgreSQL server runs on the same 2-core machine and is not pinned, so it competes with both the Keyhaven server and the load generator';
      out.push(`  ${note}`, '');
      md.push(`- ${note}`, '');
    }
  }
  md.push('Latencies are recorded per response (µs resolution) over all measured runs of a target; req/s counts 2xx answers over the measured time.', '');
  return { text: out.join('\n'), markdown: md.join('\n') };
}

function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

// ----------------------------------------------------------------------------------------------- main
async function main() {
  const started = new Date();
  const runStamp = started.toISOString().replace(/\D/g, '').slice(0, 14);
  log(`keyhaven validateLicense benchmark: ${settings.licenses.toLocaleString('en-US')} licenses, ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per target (${settings.rounds} alternating runs), ${dialects.join(' + ')}`);
  log(pinning.enabled ? pinning.reason : `WARNING: ${pinning.reason}`);

  if (!opt['skip-build']) {
    log('building packages/server (tsc -p packages/server/tsconfig.json)');
    const tsc = rootRequire.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(serverDir, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('the server build failed');
  }
  const seedModule = await import('../bench/seed.mjs');

  const passes = [];
  for (const dialect of dialects) {
    passes.push(await benchDialect(dialect, seedModule, runStamp));
    if (interrupted) throw new Error('interrupted');
    // Free the pass's data (a 1M-license SQLite file is ~1 GB) before the next one.
    await stopEverything();
  }

  const meta = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    settings,
    pinning: pinning.reason,
    cpus: cpuCount,
    cpuModel: os.cpus()[0]?.model ?? 'unknown CPU',
    node: process.version,
    targets: TARGETS,
  };
  const { text, markdown } = report(passes, meta);
  console.log(text);

  const resultsDir = path.join(root, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/:/g, '-').replace(/\..*/, '');
  const jsonFile = path.join(resultsDir, `validate-${stamp}.json`);
  const json = { ...meta, results: passes.map((p) => (p.skipped ? p : { ...p, ratio: evaluate(p).ratio, checks: evaluate(p).checks })) };
  writeAtomic(jsonFile, JSON.stringify(json, null, 2) + '\n');
  writeAtomic(path.join(resultsDir, 'latest.md'), markdown);
  log(`results written to ${path.relative(root, jsonFile)} and bench/results/latest.md (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s in all)`);

  const gated = passes.filter((p) => p.dialect === 'sqlite' && !p.skipped);
  const failed = gated.some((p) => !evaluate(p).checks.every((c) => c.pass));
  if (opt.check && failed) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  if (interrupted) await new Promise(() => {}); // the signal handler cleans up and exits
  console.error(`[bench] FAILED: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopEverything();
}
