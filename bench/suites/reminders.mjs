// Suite `reminders`: the hourly reminder sweep (RemindersService.sweep) over a large license table.
//
// Per database, one template is seeded with `licenses` licenses (default 1,000,000) and turned into a
// reminder workload by bench/reminders.mjs prepare: one customer owns them all, expiries spread evenly
// from 10 days ago to 390 days ahead, every 5th is an auto-renewing subscription (not reminded). About
// 7.5% of the licenses are then due for a reminder or an expired notice at once: the first sweep after
// deployment, the heaviest one. Each round works on a fresh copy of the template (a file copy for SQLite,
// CREATE DATABASE ... TEMPLATE on PostgreSQL) in a process pinned to the server core: the baseline (the
// same rows read by a raw indexed SELECT per window, nothing written), then the sweep (find every due
// reminder, enqueue them in jobs of 100), then 2,000 of them sent (mail rendered and queued), then the steady
// state an hour later (every reminder sent, a sweep finds the few newly due). Checked: the sweep enqueued
// exactly the reminders the baseline found.
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
  root,
  runScript,
  seed,
  seedTimes,
  serverCpu,
} from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { maxMs: 10_000 };
const RUNNER = path.join(root, 'bench/reminders.mjs');


async function benchDialect(dialect, settings, run) {
  const db = await prepareDatabase(dialect, { suite: 'reminders', runStamp: run.runStamp, keep: run.keep });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, masterKey, info } = db;
  const label = `reminders/${dialect}`;
  const seeded = await seed(dialect, env, masterKey, { licenses: settings.licenses, sampleSize: 1 }, label);
  info.seed = seedTimes(seeded);
  const now = new Date().toISOString();
  const benchEnv = { ...env, BENCH_NOW: now };
  const prepared = await runScript(`prepare (${label})`, [RUNNER, 'prepare'], { env: benchEnv, cpu: serverCpu });
  log(`  ${label}: spread expiries over ${fmt.int(prepared.licenses)} licenses in ${(prepared.ms / 1000).toFixed(1)} s`);
  info.prepareSeconds = prepared.ms / 1000;

  const runs = [];
  for (let round = 1; round <= settings.rounds; round++) {
    const copy = await copyOf(dialect, benchEnv, `r${round}`);
    try {
      const r = await runScript(`sweep (${label})`, [RUNNER, 'run'], { env: copy.env, cpu: serverCpu });
      runs.push(r);
      log(
        `  ${label}: round ${round} of ${settings.rounds}: raw SELECT ${fmt.int(r.rawDue)} rows in ${r.rawMs.toFixed(0)} ms; ` +
          `sweep enqueued ${fmt.int(r.enqueued)} in ${r.sweepMs.toFixed(0)} ms (${fmt.int(r.jobs)} jobs); ${fmt.int(r.send.reminders)} sent in ${r.send.ms.toFixed(0)} ms; ` +
          `an hour later ${fmt.int(r.steady.reminders + r.steady.expired)} in ${r.steady.ms.toFixed(0)} ms`,
      );
    } finally {
      await copy.drop();
    }
    if (isInterrupted()) throw new Error('interrupted');
  }
  return { ...info, skipped: false, licenses: settings.licenses, runs };
}

function evaluate(pass) {
  const sweepMs = pass.runs.map((r) => r.sweepMs);
  const rawMs = pass.runs.map((r) => r.rawMs);
  const ratio = median(rawMs) / median(sweepMs);
  const max = Math.max(...sweepMs);
  const exact = pass.runs.every((r) => r.enqueued === r.rawDue && r.distinct === r.rawDue && r.swept.reminders + r.swept.expired === r.rawDue);
  const sendRate = median(pass.runs.map((r) => (r.send.reminders * 1000) / r.send.ms));
  return {
    ratio,
    sendRate,
    checks: [
      {
        name: `the sweep over ${fmt.int(pass.licenses)} licenses finds and enqueues every due reminder in ≤ ${TARGETS.maxMs / 1000} s (slowest run)`,
        value: `${max.toFixed(0)} ms for ${fmt.int(pass.runs[0].enqueued)} reminders (median ${median(sweepMs).toFixed(0)} ms; raw SELECT ${median(rawMs).toFixed(0)} ms, ratio ${ratio.toFixed(3)})`,
        pass: max <= TARGETS.maxMs,
      },
      { name: 'exactly the due reminders are enqueued (each once, as many as the raw SELECT finds)', value: pass.runs.map((r) => `${fmt.int(r.distinct)}/${fmt.int(r.rawDue)}`).join(', '), pass: exact },
    ],
  };
}

export default {
  name: 'reminders',
  title: 'reminder sweep',
  defaults: { licenses: 1_000_000, rounds: 3 },

  async run(settings, run) {
    log(`reminders: ${settings.licenses.toLocaleString('en-US')} licenses, ${settings.rounds} rounds (raw SELECT, sweep, jobs, steady sweep on a fresh copy each), ${run.dialects.join(' + ')}`);
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`Reminder sweep benchmark — ${meta.startedAt}`);
    const rows = [['target', 'licenses', 'due', 'median ms', 'slowest ms', 'ratio']];
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      const col = (f) => p.runs.map(f);
      rows.push([`raw indexed SELECT of the due rows, ${name}`, fmt.int(p.licenses), fmt.int(p.runs[0].rawDue), median(col((x) => x.rawMs)).toFixed(0), Math.max(...col((x) => x.rawMs)).toFixed(0), '1.000']);
      rows.push([`RemindersService.sweep (find + enqueue), ${name}`, fmt.int(p.licenses), fmt.int(p.runs[0].enqueued), median(col((x) => x.sweepMs)).toFixed(0), Math.max(...col((x) => x.sweepMs)).toFixed(0), p.ratio.toFixed(3)]);
      rows.push([`the sweep an hour later (steady state), ${name}`, fmt.int(p.licenses), fmt.int(p.runs[0].steady.reminders + p.runs[0].steady.expired), median(col((x) => x.steady.ms)).toFixed(0), Math.max(...col((x) => x.steady.ms)).toFixed(0), '-']);
    }
    r.table(rows);
    r.paragraph(
      `${settings.licenses.toLocaleString('en-US')} licenses per database, one customer, expiries spread evenly from 10 days ago to 390 days ahead, every 5th an auto-renewing subscription (skipped). ` +
        `The first sweep finds every reminder due at once (offsets 30, 15, 5, 3, 1 days, and expired notices for the last 7 days) and enqueues them in \`reminders.send\` jobs of 100; the jobs then send the mails. ` +
        `${settings.rounds} rounds, each on a fresh copy of the seeded database, in a process pinned to the server core; the baseline is a raw indexed SELECT of the same rows per window (run once to warm the cache, then timed); ` +
        `the ratio is its median time over the sweep's. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(`Target (SQLite; PostgreSQL for information): the sweep finds and enqueues every due reminder in ≤ ${TARGETS.maxMs / 1000} s, and exactly those.`);
    let failed = false;
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      if (gated && !p.checks.every((c) => c.pass)) failed = true;
      r.pass(
        `${dialectName(p.dialect)} (${p.serverVersion})`,
        p.checks,
        [
          `seeded in ${p.seed.seconds.toFixed(1)} s, expiries spread in ${p.prepareSeconds.toFixed(1)} s`,
          `sending (per reminder: claim its row, render and queue its mail; 100 per job and transaction): ${p.sendRate.toFixed(0)}/s (${p.runs.map((x) => `${x.send.reminders} in ${x.send.ms.toFixed(0)} ms`).join(', ')})`,
          `sweep runs: ${p.runs.map((x) => `${x.sweepMs.toFixed(0)} ms`).join(', ')}; raw SELECT runs: ${p.runs.map((x) => `${x.rawMs.toFixed(0)} ms`).join(', ')}; steady sweeps: ${p.runs.map((x) => `${x.steady.ms.toFixed(0)} ms`).join(', ')}`,
        ],
        { informational: !gated },
      );
    }
    return { ...r.render(), failed };
  },
};
