// Suite `activate`: activateMachine (POST /v1/machines/activate), in two phases per database.
//
// 1. Throughput: N licenses (default 100,000) are seeded with a node-locked policy of 1,000,000 seats;
//    every request activates a new fingerprint on one of `sample` licenses picked at random, so each
//    answer is a real activation (transaction, seat count, insert, audit event, signed 201). Measured
//    interleaved with a bare Fastify route answering a body of the same size, as in the validate suite.
// 2. Contention: a license of `seats` seats (default 10), created through the admin API, receives
//    `burst` (default 500) activations with distinct fingerprints at once, each on its own connection
//    (bench/burst.mjs). Exactly `seats` must succeed, every other one must be 422 TOO_MANY_MACHINES, and
//    the database must hold exactly `seats` machines for the license afterwards: no oversell.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  cpuPhrase,
  dialectName,
  fmt,
  isInterrupted,
  loadCpu,
  loadWarnings,
  log,
  post,
  postgresNote,
  prepareDatabase,
  query,
  root,
  runLoad,
  runScript,
  seed,
  seedTimes,
  startBaseline,
  startKeyhaven,
  stopChild,
  stopEverything,
} from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { activationsPerSecond: 1500 };
const ACTIVATE_PATH = '/v1/machines/activate';

/** Creates a policy of `seats` node-locked seats and one license of it through the admin API. */
async function contendedLicense(url, adminToken, productId, seats) {
  const auth = { authorization: `Bearer ${adminToken}` };
  const policy = await post(`${url}/v1/policies`, { productId, name: `Bench ${seats} seats`, kind: 'perpetual', maxMachines: seats }, auth);
  if (policy.status !== 201) throw new Error(`creating the ${seats}-seat policy failed (${policy.status}): ${policy.text}`);
  const license = await post(`${url}/v1/licenses`, { policyId: policy.json.id, name: 'Bench contended license' }, auth);
  if (license.status !== 201) throw new Error(`creating the ${seats}-seat license failed (${license.status}): ${license.text}`);
  return license.json;
}

async function benchDialect(dialect, settings, run) {
  const adminToken = randomBytes(24).toString('base64url');
  const db = await prepareDatabase(dialect, { suite: 'activate', runStamp: run.runStamp, keep: run.keep, extraEnv: { KEYHAVEN_ADMIN_TOKEN: adminToken } });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, workDir, masterKey, info } = db;
  const label = `activate/${dialect}`;

  const seeded = await seed(dialect, env, masterKey, { licenses: settings.licenses, sampleSize: settings.sampleSize, policy: { maxMachines: 1_000_000 } }, label);
  info.seed = seedTimes(seeded);
  const server = await startKeyhaven(env, dialect);

  // A real activation: checks the setup and gives the baseline its body.
  const first = await post(server.url + ACTIVATE_PATH, { key: seeded.sample[0], fingerprint: `probe-${run.runStamp}` });
  if (first.status !== 201 || !first.json?.machine || !first.signature) throw new Error(`unexpected activation answer (${first.status}): ${first.text}`);
  info.responseBytes = Buffer.byteLength(first.text);
  const bodyFile = path.join(workDir, 'activate-answer.json');
  writeFileSync(bodyFile, first.text);
  const bodies = seeded.sample.map((key) => JSON.stringify({ key }));
  const baseline = await startBaseline(ACTIVATE_PATH, bodyFile, bodies[0]);
  log(`${label}: bare Fastify route (${baseline.responseBytes} B answer) and keyhaven activateMachine (${info.responseBytes} B signed answer), a new fingerprint per request`);

  const loads = await runLoad(
    `${label}`,
    [
      { name: 'baseline', url: baseline.url, pid: baseline.pid },
      { name: 'keyhaven', url: server.url, pid: server.pid },
    ],
    // Fingerprints carry the run stamp and the dialect, so they never repeat across passes.
    { path: ACTIVATE_PATH, bodies, unique: { field: 'fingerprint', prefix: `${dialect}-${run.runStamp}` }, ...settings.load },
    workDir,
  );
  await stopChild(baseline.child);
  info.machinesActivated = Number((await query(dialect, env, 'select count(*) as n from machines'))[0].n);

  // Phase 2: one license, many activations at once.
  const license = await contendedLicense(server.url, adminToken, seeded.productId, settings.seats);
  log(`${label}: ${settings.burst} concurrent activations, distinct fingerprints, on one ${settings.seats}-seat license`);
  const jobFile = path.join(workDir, 'burst.json');
  writeFileSync(
    jobFile,
    JSON.stringify({
      url: server.url,
      path: ACTIVATE_PATH,
      bodies: Array.from({ length: settings.burst }, (_, i) => JSON.stringify({ key: license.key, fingerprint: `burst-${i}` })),
    }),
  );
  const burst = await runScript(`burst (${label})`, [path.join(root, 'bench/burst.mjs'), jobFile], { cpu: loadCpu });
  const [stored] = await query(
    dialect,
    env,
    `select (select count(*) from machines where license_id = ?) as machines,
            (select count(*) from events where target_id = ? and action = 'machine.activated') as activated,
            (select count(*) from events where target_id = ? and action = 'machine.activation_refused') as refused`,
    [license.id, license.id, license.id],
  );
  burst.stored = { machines: Number(stored.machines), activatedEvents: Number(stored.activated), refusedEvents: Number(stored.refused) };
  await stopChild(server.child);

  return { ...info, skipped: false, baseline: { ...loads.baseline, responseBytes: baseline.responseBytes }, keyhaven: loads.keyhaven, burst };
}

function evaluate(pass, settings) {
  const k = pass.keyhaven;
  const ratio = k.requestsPerSecond / pass.baseline.requestsPerSecond;
  const { statuses, codes, errorCount, stored } = pass.burst;
  const successes = (statuses['201'] ?? 0) + (statuses['200'] ?? 0);
  const refused = codes.TOO_MANY_MACHINES ?? 0;
  const others = Object.entries(statuses)
    .filter(([status]) => !['200', '201', '422'].includes(status))
    .map(([status, n]) => `${n}×${status}`);
  const other422 = (statuses['422'] ?? 0) - refused;
  const refusedAll = refused === settings.burst - settings.seats && (statuses['422'] ?? 0) === refused && errorCount === 0 && others.length === 0;
  return {
    ratio,
    checks: [
      {
        name: `activations/s ≥ ${fmt.int(TARGETS.activationsPerSecond)} (distinct licenses, a new fingerprint each)`,
        value: `${fmt.int(k.requestsPerSecond)}/s (ratio to bare route ${ratio.toFixed(3)})`,
        pass: k.requestsPerSecond >= TARGETS.activationsPerSecond,
      },
      { name: 'no errors, timeouts or non-2xx', value: `${k.errors} errors, ${k.timeouts} timeouts, ${k.non2xx} non-2xx`, pass: k.non2xx === 0 && k.errors === 0 && k.timeouts === 0 },
      { name: `${settings.burst} concurrent activations on a ${settings.seats}-seat license: exactly ${settings.seats} succeed`, value: `${successes} succeeded`, pass: successes === settings.seats },
      {
        name: `the other ${settings.burst - settings.seats} are 422 TOO_MANY_MACHINES`,
        value: `${refused} TOO_MANY_MACHINES${other422 > 0 ? `, ${other422} other 422` : ''}${others.length ? `, ${others.join(', ')}` : ''}${errorCount ? `, ${errorCount} connection errors` : ''}`,
        pass: refusedAll,
      },
      {
        name: `the database holds exactly ${settings.seats} machines for the license (no oversell)`,
        value: `${stored.machines} machines, ${stored.activatedEvents} machine.activated events`,
        pass: stored.machines === settings.seats && stored.activatedEvents === settings.seats,
      },
    ],
  };
}

export default {
  name: 'activate',
  title: 'activateMachine',
  defaults: { licenses: 100_000, durationSeconds: 9, warmupSeconds: 3, burst: 500, seats: 10 },

  async run(settings, run) {
    log(
      `activate: ${settings.licenses.toLocaleString('en-US')} licenses, ${settings.load.connections} connections, ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s per target (${settings.load.rounds} alternating runs); then ${settings.burst} concurrent activations on a ${settings.seats}-seat license; ${run.dialects.join(' + ')}`,
    );
    const passes = [];
    for (const dialect of run.dialects) {
      passes.push(await benchDialect(dialect, settings, run));
      if (isInterrupted()) throw new Error('interrupted');
      await stopEverything();
    }
    return { passes: passes.map((p) => (p.skipped ? p : { ...p, ...evaluate(p, settings) })) };
  },

  report(result, settings, meta) {
    const r = new Report(`activateMachine benchmark — ${meta.startedAt}`);
    const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'server CPU µs/req', 'burst: 2xx / 422 / other', 'burst ms', 'machines on the license']];
    const micros = (x) => (x.cpu?.serverMicrosPerRequest !== undefined ? String(x.cpu.serverMicrosPerRequest) : '-');
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      const s = p.burst.statuses;
      const ok = (s['200'] ?? 0) + (s['201'] ?? 0);
      const other = settings.burst - ok - (s['422'] ?? 0);
      rows.push([`bare Fastify route (${name} pass)`, fmt.int(p.baseline.requestsPerSecond), fmt.ms(p.baseline.latencyMs.p50), fmt.ms(p.baseline.latencyMs.p99), '1.000', micros(p.baseline), '', '', '']);
      rows.push([
        `activateMachine, ${name}, signed`,
        fmt.int(p.keyhaven.requestsPerSecond),
        fmt.ms(p.keyhaven.latencyMs.p50),
        fmt.ms(p.keyhaven.latencyMs.p99),
        p.ratio.toFixed(3),
        micros(p.keyhaven),
        `${ok} / ${s['422'] ?? 0} / ${other}`,
        fmt.int(p.burst.ms),
        String(p.burst.stored.machines),
      ]);
    }
    r.table(rows);
    r.paragraph(
      `Throughput: ${settings.licenses.toLocaleString('en-US')} licenses per database (node-locked policy, 1,000,000 seats); ${settings.load.connections} connections; ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s measured per target in ${settings.load.rounds} runs alternating between the bare route and Keyhaven; ` +
        `each request activates a new fingerprint on one of ${settings.sampleSize.toLocaleString('en-US')} licenses sampled evenly over the table, at random (201, a real activation every time). ` +
        `Contention: ${settings.burst} activations with distinct fingerprints on one ${settings.seats}-seat license, each on its own connection, released at once after every connection is open. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(
      `Targets (SQLite): ≥ ${fmt.int(TARGETS.activationsPerSecond)} activations/s (also reported as a ratio to the bare route), and under contention exactly ${settings.seats} successes, every other answer 422 TOO_MANY_MACHINES and exactly ${settings.seats} machines stored. PostgreSQL figures are reported against the same numbers for information.`,
    );
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const notes = [
        `seeded in ${p.seed.seconds.toFixed(1)} s; activate answer ${p.responseBytes} B; p90 ${fmt.ms(p.keyhaven.latencyMs.p90)} ms, max ${fmt.ms(p.keyhaven.latencyMs.max)} ms; ${p.machinesActivated.toLocaleString('en-US')} machines activated in all (warm-up + measured); peak RSS ${fmt.mb(p.keyhaven.rss.peakKb)} MB`,
        `CPU during the measured runs (% of one core): bare route: ${cpuPhrase(p.baseline)}; activateMachine: ${cpuPhrase(p.keyhaven)}`,
        `burst: answered in ${fmt.int(p.burst.ms)} ms; ${p.burst.stored.refusedEvents} machine.activation_refused events recorded`,
        ...loadWarnings([p.baseline, p.keyhaven], gated),
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('Latencies are recorded per response (µs resolution) over all measured runs of a target; req/s counts 2xx answers over the measured time.');
    return r.render();
  },
};
