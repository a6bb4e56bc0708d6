// Suite `heartbeat`: heartbeatMachine (POST /v1/machines/heartbeat) against floating machines already
// activated. N licenses (default 100,000) of a floating policy are seeded with `machines` live leases
// each (default 2); every request renews the lease of one machine of one of `sample` licenses, picked at
// random (a real renewal: key lookup, machine lookup, conditional UPDATE, signed answer). Measured
// interleaved with a bare Fastify route answering a body of the same size, as in the validate suite.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
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
import { machineFingerprint } from '../seed.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { ratio: 0.4 };
const HEARTBEAT_PATH = '/v1/machines/heartbeat';
const HEARTBEAT_SECONDS = 600;

async function benchDialect(dialect, settings, run) {
  const db = await prepareDatabase(dialect, { suite: 'heartbeat', runStamp: run.runStamp, keep: run.keep });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, workDir, masterKey, info } = db;
  const label = `heartbeat/${dialect}`;

  // Seeded leases outlive any run (a lapsed one would answer 422 HEARTBEAT_DEAD); the renewals the
  // benchmark makes set them to now + heartbeat + tolerance, as in production.
  const lease = new Date(Date.now() + 6 * 3_600_000).toISOString();
  const seeded = await seed(
    dialect,
    env,
    masterKey,
    {
      licenses: settings.licenses,
      sampleSize: settings.sampleSize,
      policy: { maxMachines: settings.machines, floating: true, heartbeatSeconds: HEARTBEAT_SECONDS },
      machines: { perLicense: settings.machines, leaseFor: () => lease },
    },
    label,
  );
  info.seed = seedTimes(seeded);
  const bodies = seeded.sample.flatMap((key, i) => Array.from({ length: settings.machines }, (_, j) => JSON.stringify({ key, fingerprint: machineFingerprint(seeded.sampleIndexes[i], j) })));

  const server = await startKeyhaven(env, dialect);
  // A real renewal: checks the setup and gives the baseline its body.
  const first = await post(server.url + HEARTBEAT_PATH, JSON.parse(bodies[0]));
  if (first.status !== 200 || !first.json?.machine?.leaseExpiresAt || !first.signature) throw new Error(`unexpected heartbeat answer (${first.status}): ${first.text}`);
  info.responseBytes = Buffer.byteLength(first.text);
  const bodyFile = path.join(workDir, 'heartbeat-answer.json');
  writeFileSync(bodyFile, first.text);
  const baseline = await startBaseline(HEARTBEAT_PATH, bodyFile, bodies[0]);
  log(`${label}: bare Fastify route (${baseline.responseBytes} B answer) and keyhaven heartbeatMachine (${info.responseBytes} B signed answer), ${bodies.length.toLocaleString('en-US')} machines`);

  const started = new Date().toISOString();
  const loads = await runLoad(
    label,
    [
      { name: 'baseline', url: baseline.url, pid: baseline.pid },
      { name: 'keyhaven', url: server.url, pid: server.pid },
    ],
    { path: HEARTBEAT_PATH, bodies, ...settings.load },
    workDir,
  );
  await stopChild(baseline.child);
  await stopChild(server.child);
  info.machinesRenewed = Number((await query(dialect, env, 'select count(*) as n from machines where last_heartbeat_at >= ?', [started]))[0].n);
  return { ...info, skipped: false, machines: bodies.length, baseline: { ...loads.baseline, responseBytes: baseline.responseBytes }, keyhaven: loads.keyhaven };
}

function evaluate(pass) {
  const k = pass.keyhaven;
  const ratio = k.requestsPerSecond / pass.baseline.requestsPerSecond;
  return {
    ratio,
    checks: [
      { name: `ratio to bare route ≥ ${TARGETS.ratio.toFixed(2)}`, value: `${ratio.toFixed(3)} (${fmt.int(k.requestsPerSecond)} heartbeats/s)`, pass: ratio >= TARGETS.ratio },
      { name: 'no errors, timeouts or non-2xx', value: `${k.errors} errors, ${k.timeouts} timeouts, ${k.non2xx} non-2xx`, pass: k.non2xx === 0 && k.errors === 0 && k.timeouts === 0 },
    ],
  };
}

export default {
  name: 'heartbeat',
  title: 'heartbeatMachine',
  defaults: { licenses: 100_000, durationSeconds: 9, warmupSeconds: 3, machines: 2 },

  async run(settings, run) {
    log(
      `heartbeat: ${settings.licenses.toLocaleString('en-US')} floating licenses × ${settings.machines} machines, ${settings.load.connections} connections, ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s per target (${settings.load.rounds} alternating runs), ${run.dialects.join(' + ')}`,
    );
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`heartbeatMachine benchmark — ${meta.startedAt}`);
    const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'ratio', 'server CPU µs/req']];
    const micros = (x) => (x.cpu?.serverMicrosPerRequest !== undefined ? String(x.cpu.serverMicrosPerRequest) : '-');
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      rows.push([`bare Fastify route (${name} pass)`, fmt.int(p.baseline.requestsPerSecond), fmt.ms(p.baseline.latencyMs.p50), fmt.ms(p.baseline.latencyMs.p99), fmt.mb(p.baseline.rss.peakKb), '1.000', micros(p.baseline)]);
      rows.push([`heartbeatMachine, ${name}, signed`, fmt.int(p.keyhaven.requestsPerSecond), fmt.ms(p.keyhaven.latencyMs.p50), fmt.ms(p.keyhaven.latencyMs.p99), fmt.mb(p.keyhaven.rss.peakKb), p.ratio.toFixed(3), micros(p.keyhaven)]);
    }
    r.table(rows);
    r.paragraph(
      `${settings.licenses.toLocaleString('en-US')} floating licenses per database (heartbeat every ${HEARTBEAT_SECONDS} s) with ${settings.machines} live machines each; ${settings.load.connections} connections; ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s measured per target in ${settings.load.rounds} runs alternating between the bare route and Keyhaven; ` +
        `each request renews the lease of one machine of one of ${settings.sampleSize.toLocaleString('en-US')} licenses sampled evenly over the table, at random. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(`Target (SQLite): heartbeats ≥ ${TARGETS.ratio} of the bare route's requests/s in the same run. PostgreSQL figures are reported against the same number for information.`);
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const notes = [
        `seeded in ${p.seed.seconds.toFixed(1)} s; heartbeat answer ${p.responseBytes} B; p90 ${fmt.ms(p.keyhaven.latencyMs.p90)} ms, max ${fmt.ms(p.keyhaven.latencyMs.max)} ms; ${p.machinesRenewed.toLocaleString('en-US')} of the ${p.machines.toLocaleString('en-US')} machines requested renewed at least once`,
        `CPU during the measured runs (% of one core): bare route: ${cpuPhrase(p.baseline)}; heartbeatMachine: ${cpuPhrase(p.keyhaven)}`,
        ...loadWarnings([p.baseline, p.keyhaven], gated),
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('Latencies are recorded per response (µs resolution) over all measured runs of a target; req/s counts 2xx answers over the measured time.');
    return r.render();
  },
};
