// Suite `validate`: validateLicense (POST /v1/licenses/validate) throughput, latency and memory against
// the bare Fastify route, with a large seeded license table (default 1,000,000 licenses).
//
// For each database: a fresh database is created, migrated by the server's own CLI and seeded (one
// transaction); `keyhaven serve` starts pinned to the server core; a bare Fastify server answering a
// constant body the size of a real validate answer is measured interleaved with Keyhaven by autocannon
// in its own process pinned to the other core. The server's resident memory is sampled from /proc.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import {
  runEachDialect,
  cpuPhrase,
  dialectName,
  fmt,
  loadWarnings,
  log,
  post,
  postgresNote,
  prepareDatabase,
  query,
  runLoad,
  seed,
  seedTimes,
  startBaseline,
  startKeyhaven,
  stopChild,
} from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { ratio: 0.4, p99Ms: 25, rssMb: 250 };
const VALIDATE_PATH = '/v1/licenses/validate';

async function countValidations(dialect, env) {
  return Number((await query(dialect, env, 'select count(*) as n from validations'))[0].n);
}

async function benchDialect(dialect, settings, run) {
  const db = await prepareDatabase(dialect, { suite: 'validate', runStamp: run.runStamp, keep: run.keep });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, workDir, masterKey, info } = db;

  log(`validate/${dialect}: seeding ${settings.licenses.toLocaleString('en-US')} licenses`);
  const seeded = await seed(dialect, env, masterKey, { licenses: settings.licenses, sampleSize: settings.sampleSize }, `validate/${dialect}`);
  const { sample } = seeded;
  info.seed = seedTimes(seeded);

  const server = await startKeyhaven(env, dialect);
  // A real answer: checks the setup and gives the baseline its body.
  const validate = (key) => post(server.url + VALIDATE_PATH, { key });
  const first = await validate(sample[0]);
  if (first.status !== 200 || first.json?.valid !== true || !first.signature) throw new Error(`unexpected validate answer (${first.status}): ${first.text}`);
  for (let i = 0; i < 20; i++) {
    const r = await validate(sample[Math.floor(Math.random() * sample.length)]);
    if (r.status !== 200 || r.json?.valid !== true) throw new Error(`a seeded key does not validate (${r.status}): ${r.text}`);
  }
  info.responseBytes = Buffer.byteLength(first.text);
  const bodyFile = path.join(workDir, 'validate-answer.json');
  writeFileSync(bodyFile, first.text);
  const bodies = sample.map((key) => JSON.stringify({ key }));

  // The baseline, on the same core; measured interleaved with Keyhaven (each idles while the other runs).
  const baseline = await startBaseline(VALIDATE_PATH, bodyFile, bodies[0]);
  log(`validate/${dialect}: bare Fastify route (${baseline.responseBytes} B answer) and keyhaven validateLicense (${info.responseBytes} B signed answer)`);

  const before = await countValidations(dialect, env);
  const loads = await runLoad(
    dialect,
    [
      { name: 'baseline', url: baseline.url, pid: baseline.pid },
      { name: 'keyhaven', url: server.url, pid: server.pid },
    ],
    { path: VALIDATE_PATH, bodies, ...settings.load },
    workDir,
  );
  await stopChild(baseline.child);
  await stopChild(server.child); // graceful: flushes the buffered validation log
  info.validationsLogged = (await countValidations(dialect, env)) - before;

  return { ...info, skipped: false, baseline: { ...loads.baseline, responseBytes: baseline.responseBytes }, keyhaven: loads.keyhaven };
}

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

function resultRows(passes) {
  const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'ratio', 'server CPU µs/req']];
  const micros = (r) => (r.cpu?.serverMicrosPerRequest !== undefined ? String(r.cpu.serverMicrosPerRequest) : '-');
  for (const p of passes) {
    if (p.skipped) {
      rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-']);
      continue;
    }
    const { ratio } = evaluate(p);
    const name = dialectName(p.dialect);
    rows.push([`bare Fastify route (${name} pass)`, fmt.int(p.baseline.requestsPerSecond), fmt.ms(p.baseline.latencyMs.p50), fmt.ms(p.baseline.latencyMs.p99), fmt.mb(p.baseline.rss.peakKb), '1.000', micros(p.baseline)]);
    rows.push([`validateLicense, ${name}, signed`, fmt.int(p.keyhaven.requestsPerSecond), fmt.ms(p.keyhaven.latencyMs.p50), fmt.ms(p.keyhaven.latencyMs.p99), fmt.mb(p.keyhaven.rss.peakKb), ratio.toFixed(3), micros(p.keyhaven)]);
  }
  return rows;
}

export default {
  name: 'validate',
  title: 'validateLicense',
  /** Per-suite defaults of the shared load options (flags and BENCH_* variables override them). */
  defaults: { licenses: 1_000_000, durationSeconds: 15, warmupSeconds: 5 },

  async run(settings, run) {
    log(
      `validate: ${settings.licenses.toLocaleString('en-US')} licenses, ${settings.load.connections} connections, ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s per target (${settings.load.rounds} alternating runs), ${run.dialects.join(' + ')}`,
    );
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const { passes } = result;
    const r = new Report(`validateLicense benchmark — ${meta.startedAt}`);
    r.table(resultRows(passes));
    r.paragraph(
      `${settings.licenses.toLocaleString('en-US')} licenses per database; ${settings.load.connections} connections; ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s measured per target in ${settings.load.rounds} runs alternating between the bare route and Keyhaven; ` +
        `each request picks one of ${settings.sampleSize.toLocaleString('en-US')} keys sampled evenly over the table, at random. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(
      `Targets (SQLite): signed validation ≥ ${TARGETS.ratio} of the bare route, p99 ≤ ${TARGETS.p99Ms} ms, server RSS ≤ ${TARGETS.rssMb} MB under that load (peak from /proc/<pid>/status VmRSS over warm-up and measured run). PostgreSQL figures are reported against the same numbers for information.`,
    );
    for (const p of passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const s = p.seed;
      const notes = [
        `seeded ${settings.licenses.toLocaleString('en-US')} licenses in ${s.seconds.toFixed(1)} s (insert ${s.insertSeconds.toFixed(1)} s, waiting for key generation ${s.waitingForKeysSeconds.toFixed(1)} s${s.analyzeSeconds !== undefined ? `, analyze ${s.analyzeSeconds.toFixed(1)} s` : ''}${s.checkpointSeconds !== undefined ? `, WAL checkpoint ${s.checkpointSeconds.toFixed(1)} s` : ''})`,
        `validate answer ${p.responseBytes} B; p90 ${fmt.ms(p.keyhaven.latencyMs.p90)} ms, max ${fmt.ms(p.keyhaven.latencyMs.max)} ms; RSS idle ${fmt.mb(p.keyhaven.rss.idleKb)} MB → peak ${fmt.mb(p.keyhaven.rss.peakKb)} MB; ${p.validationsLogged.toLocaleString('en-US')} validations logged for ${(p.keyhaven.warmupRequestsSent + p.keyhaven.requestsSent).toLocaleString('en-US')} requests sent (warm-up + measured)`,
        `CPU during the measured runs (% of one core): bare route: ${cpuPhrase(p.baseline)}; validateLicense: ${cpuPhrase(p.keyhaven)}`,
        ...loadWarnings([p.baseline, p.keyhaven], gated),
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('Latencies are recorded per response (µs resolution) over all measured runs of a target; req/s counts 2xx answers over the measured time.');
    return r.render();
  },
};
