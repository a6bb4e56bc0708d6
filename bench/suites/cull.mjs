// Suite `cull`: MachinesService.cull, which `keyhaven serve` runs every minute to remove floating leases
// that lapsed more than a day ago (LAPSED_LEASE_KEEP_MS).
//
// Per database, one template is seeded with `leases` floating leases (default 100,000: 10 machines on
// each of 10,000 licenses), of which a fraction `lapsed` (default 0.1, every 10th row, spread over the
// table) lapsed between one and eight days ago; the others are live for the whole run. Each round works
// on two fresh copies of the template (a file copy for SQLite, CREATE DATABASE ... TEMPLATE on
// PostgreSQL): on one, the baseline, a single bare DELETE of the same rows; on the other, the real cull
// with the services wired as the server wires them (bench/cull-runner.mjs, pinned to the server core).
// After each run the copy is counted: every lapsed lease gone, every live one still there.
import path from 'node:path';
import {
  copyOf,
  median,
  runEachDialect,
  dialectName,
  fmt,
  isInterrupted,
  log,
  prepareDatabase,
  query,
  root,
  runScript,
  seed,
  seedTimes,
  serverCpu,
} from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { maxMs: 2000 };
const MACHINES_PER_LICENSE = 10;
const HOUR = 3_600_000;


async function benchDialect(dialect, settings, run) {
  const db = await prepareDatabase(dialect, { suite: 'cull', runStamp: run.runStamp, keep: run.keep });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, masterKey, info } = db;
  const label = `cull/${dialect}`;

  const now = Date.now();
  const licenses = Math.ceil(settings.leases / MACHINES_PER_LICENSE);
  const every = Math.round(1 / settings.lapsed);
  let lapsed = 0;
  const seeded = await seed(
    dialect,
    env,
    masterKey,
    {
      licenses,
      sampleSize: 1,
      policy: { maxMachines: MACHINES_PER_LICENSE, floating: true, heartbeatSeconds: 600 },
      machines: {
        perLicense: MACHINES_PER_LICENSE,
        leaseFor(index, j) {
          const n = index * MACHINES_PER_LICENSE + j;
          if (n % every === 0) {
            lapsed++;
            return new Date(now - 25 * HOUR - (n % (7 * 24)) * HOUR).toISOString();
          }
          return new Date(now + HOUR + (n % 660) * 1000).toISOString();
        },
      },
    },
    label,
  );
  info.seed = seedTimes(seeded);
  const total = licenses * MACHINES_PER_LICENSE;
  const live = total - lapsed;
  const liveSince = new Date(now).toISOString();

  const runs = { raw: [], cull: [] };
  for (let round = 1; round <= settings.rounds; round++) {
    for (const mode of ['raw', 'cull']) {
      const copy = await copyOf(dialect, env, `r${round}_${mode}`);
      try {
        const { ms, freed } = await runScript(`${mode} (${label})`, [path.join(root, 'bench/cull-runner.mjs'), mode], { env: copy.env, cpu: serverCpu });
        const [left] = await query(
          dialect,
          copy.env,
          'select (select count(*) from machines) as total, (select count(*) from machines where lease_expires_at > ?) as live',
          [liveSince],
        );
        const outcome = { ms, freed, left: Number(left.total), liveLeft: Number(left.live) };
        runs[mode].push(outcome);
        log(`  ${label}: round ${round} of ${settings.rounds}, ${mode === 'raw' ? 'bare DELETE' : 'MachinesService.cull'}: ${fmt.int(freed)} freed in ${ms.toFixed(0)} ms, ${fmt.int(outcome.liveLeft)} live leases left`);
      } finally {
        await copy.drop();
      }
      if (isInterrupted()) throw new Error('interrupted');
    }
  }
  return { ...info, skipped: false, total, lapsed, live, runs };
}

function evaluate(pass) {
  const cullMs = pass.runs.cull.map((r) => r.ms);
  const rawMs = pass.runs.raw.map((r) => r.ms);
  const ratio = median(rawMs) / median(cullMs);
  const allFreed = pass.runs.cull.every((r) => r.freed === pass.lapsed && r.left === pass.live);
  const noLiveFreed = pass.runs.cull.every((r) => r.liveLeft === pass.live);
  const baselineRight = pass.runs.raw.every((r) => r.freed === pass.lapsed && r.liveLeft === pass.live);
  const max = Math.max(...cullMs);
  return {
    ratio,
    checks: [
      {
        name: `cull frees ${fmt.int(pass.lapsed)} lapsed of ${fmt.int(pass.total)} floating leases in < ${fmt.int(TARGETS.maxMs)} ms (slowest run)`,
        value: `${max.toFixed(0)} ms (median ${median(cullMs).toFixed(0)} ms; bare DELETE ${median(rawMs).toFixed(0)} ms, ratio ${ratio.toFixed(3)})`,
        pass: max < TARGETS.maxMs,
      },
      { name: 'every lapsed lease freed', value: pass.runs.cull.map((r) => fmt.int(r.freed)).join(', '), pass: allFreed },
      { name: 'no live lease freed', value: `${pass.runs.cull.map((r) => fmt.int(r.liveLeft)).join(', ')} of ${fmt.int(pass.live)} live leases left`, pass: noLiveFreed && baselineRight },
    ],
  };
}

export default {
  name: 'cull',
  title: 'lapsed lease cull',
  defaults: { leases: 100_000, lapsed: 0.1, rounds: 3 },

  async run(settings, run) {
    log(`cull: ${settings.leases.toLocaleString('en-US')} floating leases, ${Math.round(settings.lapsed * 100)}% lapsed, ${settings.rounds} rounds (bare DELETE, then cull, each on a fresh copy), ${run.dialects.join(' + ')}`);
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`Lapsed lease cull benchmark — ${meta.startedAt}`);
    const rows = [['target', 'leases', 'lapsed', 'median ms', 'slowest ms', 'freed', 'live left', 'ratio']];
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      for (const [mode, title, ratio] of [
        ['raw', `bare DELETE, ${name}`, '1.000'],
        ['cull', `MachinesService.cull, ${name}`, p.ratio.toFixed(3)],
      ]) {
        const ms = p.runs[mode].map((x) => x.ms);
        rows.push([title, fmt.int(p.total), fmt.int(p.lapsed), median(ms).toFixed(0), Math.max(...ms).toFixed(0), fmt.int(median(p.runs[mode].map((x) => x.freed))), fmt.int(Math.min(...p.runs[mode].map((x) => x.liveLeft))), ratio]);
      }
    }
    r.table(rows);
    r.paragraph(
      `${settings.leases.toLocaleString('en-US')} floating leases per database (${MACHINES_PER_LICENSE} machines on each license), ${Math.round(settings.lapsed * 100)}% of them (every ${Math.round(1 / settings.lapsed)}th row) lapsed one to eight days ago, the others live. ` +
        `${settings.rounds} rounds; in each, a bare \`DELETE FROM machines WHERE lease_expires_at <= now - 24 h\` and then MachinesService.cull() (services wired as \`keyhaven serve\` wires them), each on a fresh copy of the seeded database, in a process pinned to the server core. ` +
        `The ratio is the bare DELETE's median time over cull's (1.0: as fast as the single statement). ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(`Targets (SQLite, and PostgreSQL for information): every cull run frees every lapsed lease in under ${TARGETS.maxMs / 1000} s and leaves every live lease in place.`);
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, [`seeded in ${p.seed.seconds.toFixed(1)} s; cull runs: ${p.runs.cull.map((x) => `${x.ms.toFixed(0)} ms`).join(', ')}; bare DELETE runs: ${p.runs.raw.map((x) => `${x.ms.toFixed(0)} ms`).join(', ')}`], {
        informational: !gated,
      });
    }
    return r.render();
  },
};
