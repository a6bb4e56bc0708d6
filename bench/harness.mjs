// The machinery every `npm run bench` suite shares: child processes pinned to a core (taskset), fresh
// databases created, migrated by the server's own CLI and dropped afterwards, the Keyhaven server started
// through its real CLI, the bare Fastify baseline, the load generator (bench/load.mjs) with CPU and
// memory sampled from /proc, and the text/markdown table helpers of the reports.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const serverDir = path.join(root, 'packages/server');
export const sdkDir = path.join(root, 'packages/sdk');
export const cli = path.join(serverDir, 'dist/cli.js');
export const rootRequire = createRequire(path.join(root, 'package.json'));
export const serverRequire = createRequire(path.join(serverDir, 'package.json'));
/** The server's SQLite opener for this runtime (node:sqlite or better-sqlite3), from the build. */
const openRawSqlite = async (file, options) => (await import(pathToFileURL(path.join(serverDir, 'dist/db/sqlite.js')).href)).openRawSqlite(file, options);

export const postgresAdminUrl = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export const log = (...parts) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...parts);
export const dialectName = (dialect) => (dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL');

// ------------------------------------------------------------------------------------ process handling
const children = new Set();
const cleanups = [];
let interrupted = false;
export const isInterrupted = () => interrupted;

/** Runs `fn` when the current suite pass ends (or the run is interrupted), last registered first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export const cpuCount = os.availableParallelism?.() ?? os.cpus().length;
export const cpuModel = os.cpus()[0]?.model ?? 'unknown CPU';
export const pinning = (() => {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) return { enabled: false, reason: 'taskset (util-linux) is not available: server and load generator are NOT pinned and share the CPUs' };
  if (cpuCount < 2) return { enabled: false, reason: `only ${cpuCount} CPU: server and load generator are NOT pinned to separate cores` };
  return { enabled: true, serverCpu: 0, loadCpu: 1, reason: `server pinned to CPU 0, load generator to CPU 1 (taskset); ${cpuCount} CPUs` };
})();
/** The core for servers (and in-process measurements), and the one for load generators; undefined when not pinned. */
export const serverCpu = pinning.enabled ? pinning.serverCpu : undefined;
export const loadCpu = pinning.enabled ? pinning.loadCpu : undefined;

/** Starts a node process, pinned to `cpu` when taskset is usable. Output is kept (last 64 KiB) for errors. */
export function startNode(name, args, { env, cpu }) {
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
export async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Stops every child this run started and runs the registered cleanups (temporary files, databases). */
/**
 * Runs a suite's pass on each database of the run, one after the other (stopping every process and freeing
 * the pass's data in between), and adds each pass's target checks.
 */
export async function runEachDialect(run, benchDialect, evaluate) {
  const passes = [];
  for (const dialect of run.dialects) {
    passes.push(await benchDialect(dialect));
    if (isInterrupted()) throw new Error('interrupted');
    await stopEverything();
  }
  return { passes: passes.map((p) => (p.skipped ? p : { ...p, ...evaluate(p) })) };
}

export async function stopEverything() {
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

/** On an unexpected error or SIGINT/SIGTERM: stop every process this run started, drop its databases, exit. */
export function installSignalHandlers() {
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
}

/**
 * Runs a node script to its end (pinned to `cpu`) and returns the JSON of its last `RESULT {...}` line;
 * other `LOG ...` lines are passed on to the bench log.
 */
export async function runScript(name, args, { env = process.env, cpu } = {}) {
  const child = startNode(name, args, { env, cpu });
  let result;
  let buffered = '';
  child.stdout.on('data', (chunk) => {
    buffered += chunk.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
      else if (line.startsWith('LOG ')) log(`  ${line.slice(4)}`);
    }
  });
  const { code, signal } = await child.exited;
  if (interrupted) throw new Error('interrupted');
  if (code !== 0 || result === undefined) throw new Error(`${name} failed (${signal ?? code}):\n${child.output}`);
  return result;
}

export function freePort() {
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

export async function waitForHealth(child, url, timeoutMs = 60_000) {
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

// ------------------------------------------------------------------------------------ CPU and memory
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

export function rssKb(pid) {
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
 *
 * `load`: { path, bodies, unique?, connections, warmupSeconds, durationSeconds, rounds }; `unique`
 * ({ field, prefix }) gives every request its own value of `field` (see bench/load.mjs).
 */
export async function runLoad(label, targets, load, workDir) {
  const jobFile = path.join(workDir, `load-${label.replace(/\W+/g, '-')}.json`);
  const segmentSeconds = Math.max(1, Math.ceil(load.durationSeconds / load.rounds));
  writeFileSync(
    jobFile,
    JSON.stringify({
      targets: targets.map(({ name, url }) => ({ name, url })),
      path: load.path,
      bodies: load.bodies,
      unique: load.unique,
      connections: load.connections,
      warmupSeconds: load.warmupSeconds,
      rounds: load.rounds,
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
  const loader = startNode(`load generator (${label})`, [path.join(root, 'bench/load.mjs'), jobFile], { env: process.env, cpu: loadCpu });
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
          log(`  ${label}: warm-up ${name} ${load.warmupSeconds} s`);
        } else if (phase === 'measure') {
          active = { name, measuring: true };
          snapshot = cpuSnapshot([per.get(name).pid, loader.pid]);
          if (name === targets[0].name) round++;
          log(`  ${label}: measuring ${name} ${segmentSeconds} s (round ${round} of ${load.rounds})`);
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
/** The environment without any Keyhaven setting of the caller's shell. */
export function baseEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('KEYHAVEN_') || name === 'DATABASE_URL' || name === 'PORT' || name === 'HOST') delete env[name];
  return env;
}

export function migrate(env) {
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

export async function postgresAdmin(sql) {
  const pg = serverRequire('pg');
  const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL of database `name` on the benchmark's PostgreSQL server. */
export function postgresUrl(name) {
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export const sqliteFile = (env) => path.join(env.KEYHAVEN_DATA_DIR, 'keyhaven.sqlite');

/**
 * Runs one query on the benchmark database named by `env` (SQLite file or DATABASE_URL) and returns its
 * rows. Placeholders are written `?` and numbered for PostgreSQL.
 */
export async function query(dialect, env, sql, params = []) {
  if (dialect === 'sqlite') {
    const db = await openRawSqlite(sqliteFile(env), { readonly: true });
    try {
      return db.prepare(sql).all(...params);
    } finally {
      db.close();
    }
  }
  const pg = serverRequire('pg');
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A fresh, migrated database for one suite pass: a temporary data directory (always; it holds the SQLite
 * file, job files and answer bodies) and, for PostgreSQL, a throwaway database keyhaven_bench_<suite>_<stamp>.
 * Both are removed when the pass ends unless `keep`. Returns { skipped, reason } when PostgreSQL is not
 * reachable, else { env, workDir, masterKey, info: { dialect, serverVersion, database? } }.
 */
export async function prepareDatabase(dialect, { suite, runStamp, keep, extraEnv = {} }) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `keyhaven-bench-${suite}-${dialect}-`));
  onCleanup(() => (keep ? log(`kept ${workDir}`) : rmSync(workDir, { recursive: true, force: true })));
  const masterKey = randomBytes(32);
  const env = {
    ...baseEnv(),
    KEYHAVEN_DATA_DIR: workDir,
    KEYHAVEN_MASTER_KEY: masterKey.toString('base64'),
    LOG_LEVEL: 'warn',
    KEYHAVEN_CLIENT_RATE_LIMIT: '100000000',
    HOST: '127.0.0.1',
    ...extraEnv,
  };
  const info = { dialect };
  if (dialect === 'postgres') {
    const reach = await postgresReachable();
    if (!reach.ok) {
      log(`PostgreSQL is not reachable at ${postgresAdminUrl.replace(/\/\/[^@]*@/, '//')} (${reach.reason}): SKIPPED`);
      return { skipped: true, reason: `PostgreSQL not reachable: ${reach.reason}` };
    }
    info.serverVersion = `PostgreSQL ${reach.version}`;
    const dbName = `keyhaven_bench_${suite}_${runStamp}`;
    await postgresAdmin(`create database ${dbName}`);
    onCleanup(async () => {
      if (keep) return log(`kept database ${dbName}`);
      await postgresAdmin(`drop database if exists ${dbName} with (force)`);
      log(`dropped database ${dbName}`);
    });
    env.DATABASE_URL = postgresUrl(dbName);
    info.database = dbName;
  } else {
    const memory = await openRawSqlite(':memory:');
    info.serverVersion = `SQLite ${memory.prepare('select sqlite_version() as v').get().v}`;
    memory.close();
  }
  log(`${suite}/${dialect}: migrating a fresh database`);
  migrate(env);
  return { skipped: false, env, workDir, masterKey, info };
}

/** Runs the suite's seeding function for the dialect (bench/seed.mjs) and logs how long it took. */
export async function seed(dialect, env, masterKey, options, label) {
  const { seedSqlite, seedPostgres } = await import('./seed.mjs');
  const seeded =
    dialect === 'sqlite'
      ? await seedSqlite({ file: sqliteFile(env), masterKey, ...options })
      : await seedPostgres({ url: env.DATABASE_URL, masterKey, ...options });
  const machines = options.machines ? ` and ${(options.licenses * options.machines.perLicense).toLocaleString('en-US')} machines` : '';
  log(`${label}: seeded ${options.licenses.toLocaleString('en-US')} licenses${machines} in ${seeded.seconds.toFixed(1)} s`);
  return seeded;
}

/** The timings of a seeding run (seconds), for the report. */
export function seedTimes(seeded) {
  const { seconds, insertSeconds, waitingForKeysSeconds, checkpointSeconds, analyzeSeconds } = seeded;
  return { seconds, insertSeconds, waitingForKeysSeconds, checkpointSeconds, analyzeSeconds };
}

// ----------------------------------------------------------------------------------------- servers
/** `keyhaven serve` through the real CLI, pinned to the server core; resolves once /health answers. */
export async function startKeyhaven(env, label) {
  const port = await freePort();
  const child = startNode(`keyhaven serve (${label})`, [cli, 'serve'], { env: { ...env, PORT: String(port) }, cpu: serverCpu });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(child, `${url}/health`);
  return { child, url, pid: child.pid };
}

/**
 * The bare Fastify baseline (bench/baseline-server.mjs) on the server core: one route at `routePath`
 * (POST, or `method`) answering the constant body in `bodyFile` (JSON, or sent as it is with `contentType`).
 * Returns its url, pid and the size of its answer to `probeBody` (a GET sends none).
 */
export async function startBaseline(routePath, bodyFile, probeBody, { method = 'POST', contentType } = {}) {
  const port = await freePort();
  const child = startNode('baseline', [path.join(root, 'bench/baseline-server.mjs')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', BODY_FILE: bodyFile, ROUTE_PATH: routePath, ROUTE_METHOD: method, ...(contentType ? { BODY_TYPE: contentType } : {}) },
    cpu: serverCpu,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(child, `${url}/health`);
  const res =
    method === 'GET'
      ? await fetch(url + routePath)
      : await fetch(url + routePath, { method, headers: { 'content-type': 'application/json' }, body: probeBody });
  const bytes = (await res.text()).length;
  if (!res.ok) throw new Error(`the baseline answered ${res.status}`);
  return { child, url, pid: child.pid, responseBytes: bytes };
}

/** A POST with a JSON body; returns status, the signature header and the answer (parsed when JSON). */
export async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, signature: res.headers.get('keyhaven-signature'), text, json };
}

// ----------------------------------------------------------------------------------------- reporting
export const fmt = {
  int: (n) => Math.round(n).toLocaleString('en-US'),
  ms: (n) => (n === undefined || n === null ? '-' : Number(n).toFixed(n < 10 ? 2 : 1)),
  mb: (kb) => (kb ? (kb / 1024).toFixed(0) : '-'),
};

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function mdTable(rows) {
  return [`| ${rows[0].join(' | ')} |`, `| ${rows[0].map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** CPU use of a load run as one phrase, for the report notes. */
export const cpuPhrase = (r) => (r.cpu ? `server ${r.cpu.serverPct}%, load generator ${r.cpu.loadGeneratorPct}%, other processes ${r.cpu.otherPct}%` : 'unknown');

/** Printed under the PostgreSQL pass of a load suite. */
export const postgresNote = `note: the PostgreSQL server runs on the same ${cpuCount}-core machine and is not pinned, so it competes with both the Keyhaven server and the load generator`;

/** The noise warnings the load suites print under a pass. */
export function loadWarnings(results, gated) {
  const warnings = [];
  if (gated && results.some((r) => r.cpu && r.cpu.otherPct > 15)) {
    warnings.push('WARNING: other processes used more than 15% of a core during a measured run: these figures are noisy; rerun on a quiet machine');
  }
  if (results.some((r) => r.cpu && r.cpu.loadGeneratorPct >= 95)) warnings.push('WARNING: the load generator used a whole core: it may be the limit, not the server');
  return warnings;
}

export function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A fresh copy of a seeded template database (a file copy, or CREATE DATABASE … TEMPLATE); returns its environment and how to drop it. */
export async function copyOf(dialect, env, name) {
  if (dialect === 'sqlite') {
    const dir = path.join(env.KEYHAVEN_DATA_DIR, name);
    mkdirSync(dir, { recursive: true });
    copyFileSync(sqliteFile(env), path.join(dir, 'keyhaven.sqlite'));
    return { env: { ...env, KEYHAVEN_DATA_DIR: dir }, drop: async () => {} };
  }
  const template = new URL(env.DATABASE_URL).pathname.slice(1);
  const copy = `${template}_${name.replace(/\W/g, '_')}`;
  await postgresAdmin(`create database ${copy} template ${template}`);
  const drop = () => postgresAdmin(`drop database if exists ${copy} with (force)`);
  onCleanup(drop); // also when the run is interrupted
  return { env: { ...env, DATABASE_URL: postgresUrl(copy) }, drop };
}
