// Suite `mail`: e-mail throughput through the real outbox and job path, against raw nodemailer sends to
// the same in-process SMTP server in the same run (bench/mail.mjs).
//
// For each database: a fresh database, migrated by the server's own CLI; bench/mail.mjs runs as one
// process pinned to the server core with an SMTP server (smtp-server) inside it. Per round it first sends
// `messages` mails with a raw pooled nodemailer transport (the baseline), then records `messages` mails
// with MailService.send, each in its own transaction (8 concurrent producers), and then starts the job
// worker and times the delivery until the SMTP server holds every mail and the outbox says `sent`.
import path from 'node:path';
import { dialectName, fmt, log, median, runEachDialect, postgresNote, prepareDatabase, root, runScript, serverCpu, stopEverything } from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { messagesPerSecond: 200 };

async function benchDialect(dialect, settings, run) {
  const db = await prepareDatabase(dialect, { suite: 'mail', runStamp: run.runStamp, keep: run.keep });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const measured = await runScript(`mail (${dialect})`, [path.join(root, 'bench/mail.mjs'), String(settings.messages), String(settings.rounds)], { env: db.env, cpu: serverCpu });
  return { ...db.info, skipped: false, ...measured };
}

function evaluate(pass) {
  const rate = median(pass.keyhaven.map((k) => k.rate));
  const raw = median(pass.raw.map((r) => r.rate));
  const ratio = median(pass.keyhaven.map((k, i) => k.rate / pass.raw[i].rate));
  const allSent = pass.keyhaven.every((k) => k.byStatus.sent === pass.count && Object.keys(k.byStatus).length === 1 && k.received === pass.count);
  return {
    rate,
    rawRate: raw,
    ratio,
    enqueueRate: median(pass.keyhaven.map((k) => k.enqueueRate)),
    endToEndRate: median(pass.keyhaven.map((k) => k.endToEndRate)),
    checks: [
      {
        name: `delivery through the outbox and mail.send jobs ≥ ${TARGETS.messagesPerSecond} messages/s`,
        value: `${fmt.int(rate)} messages/s (median of ${pass.rounds} rounds); ratio to raw nodemailer ${ratio.toFixed(3)} (${fmt.int(raw)} messages/s)`,
        pass: rate >= TARGETS.messagesPerSecond,
      },
      { name: 'every mail sent and received exactly once', value: `${pass.duplicates} duplicate Message-IDs; ${pass.keyhaven.map((k) => JSON.stringify(k.byStatus)).join(', ')}`, pass: allSent && pass.duplicates === 0 },
    ],
  };
}

export default {
  name: 'mail',
  title: 'e-mail outbox and delivery',
  defaults: { messages: 2000, rounds: 3 },

  async run(settings, run) {
    log(`mail: ${fmt.int(settings.messages)} messages per round, ${settings.rounds} rounds (raw nodemailer, then record + deliver through Keyhaven), ${run.dialects.join(' + ')}`);
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`E-mail benchmark — ${meta.startedAt}`);
    const rows = [['target', 'messages/s', 'ratio', 'recorded/s (send)', 'end to end/s', 'mail.send jobs']];
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      rows.push([`raw nodemailer (pool of ${p.pool}), ${name} run`, fmt.int(p.rawRate), '1.000', '-', '-', '-']);
      rows.push([`Keyhaven outbox + jobs, ${name}`, fmt.int(p.rate), p.ratio.toFixed(3), fmt.int(p.enqueueRate), fmt.int(p.endToEndRate), p.keyhaven.map((k) => k.jobs).join(', ')]);
    }
    r.table(rows);
    r.paragraph(
      `${fmt.int(settings.messages)} messages per round (the license.issued template: ${result.passes.find((p) => !p.skipped)?.messageBytes ?? '?'} B of text and HTML), ${settings.rounds} rounds, in one process pinned to the server core that also runs the SMTP server (smtp-server, counting what it receives). ` +
        `Per round: the baseline sends the rendered message with one pooled nodemailer transport, all at once; then MailService.send records the messages, each in its own transaction (render, seal, outbox row, coalesced mail.send job) from ${result.passes.find((p) => !p.skipped)?.producers ?? 8} concurrent producers ("recorded/s"); then the job worker starts as \`keyhaven serve\` runs it and delivers them (batched claims, pooled SMTP, outcomes in one transaction per batch) until the SMTP server holds every message and the outbox says \`sent\` ("messages/s"). ` +
        `"End to end" is the messages over the recording and delivery time together. The ratio is the median over the rounds of Keyhaven's delivery rate over the raw rate of the same round. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(`Target: delivery through the real outbox and job path ≥ ${TARGETS.messagesPerSecond} messages/s (SQLite gated; PostgreSQL for information), every message received once.`);
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const notes = [
        `per round: raw ${p.raw.map((x) => fmt.int(x.rate)).join(', ')} messages/s; Keyhaven delivery ${p.keyhaven.map((k) => fmt.int(k.rate)).join(', ')} messages/s; recorded ${p.keyhaven.map((k) => fmt.int(k.enqueueRate)).join(', ')} sends/s`,
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    return r.render();
  },
};
