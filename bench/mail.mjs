// Mail throughput for `npm run bench` suite mail, run as its own process (pinned to the server core by
// the suite) on the database named by the environment (the server's own settings: KEYHAVEN_DATA_DIR or
// DATABASE_URL, KEYHAVEN_MASTER_KEY). An SMTP server runs in this same process (smtp-server, no TLS,
// counting what it receives); SMTP_URL is pointed at it.
//
//   node bench/mail.mjs <count> <rounds>
//
// Per round, in this order (so a slow spell of the machine hits both alike):
//   raw       the baseline: one pooled nodemailer transport (the same pool size Keyhaven uses) sends
//             <count> messages with the same rendered content straight to the server, all at once
//   keyhaven  the real path, with services wired as the server wires them (a fresh set per round):
//             1. enqueue: <count> MailService.send calls, each in its own transaction as a caller makes
//                it (render the template, seal the bodies, outbox row + coalesced mail.send job), from 8
//                concurrent producers; the worker is not running yet
//             2. delivery: the job worker starts (as `keyhaven serve` runs it): it claims the jobs, claims
//                the outbox rows in batches (conditional UPDATE), sends them through its pooled transport
//                and marks them sent. Timed until the server holds every mail and the outbox says `sent`.
// After each Keyhaven round: every mail of the round is `sent`, the server received each Message-ID once.
//
// Prints `LOG ...` progress lines and `RESULT {...}`.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => pathToFileURL(path.join(root, 'packages/server/dist', rel)).href;
const serverRequire = createRequire(path.join(root, 'packages/server/package.json'));
const { SMTPServer } = serverRequire('smtp-server');
const nodemailer = serverRequire('nodemailer');
const { loadConfig } = await import(dist('config.js'));
const { openRuntime } = await import(dist('runtime.js'));
const { createServices } = await import(dist('services.js'));

const count = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const PRODUCERS = 8;
const POOL = 5; // MailService's default maxConnections
const say = (line) => process.stdout.write(`LOG ${line}\n`);

// ------------------------------------------------------------------------------------ the SMTP server
let received = 0;
let receivedKeyhaven = 0;
const messageIds = new Map();
let onReceived = () => {};
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  closeTimeout: 100,
  onData(stream, _session, callback) {
    // Only the Message-ID header is read (the first chunk holds the headers); the rest is drained.
    let head = '';
    stream.on('data', (chunk) => {
      if (head.length < 8192) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      const id = /^message-id:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '';
      messageIds.set(id, (messageIds.get(id) ?? 0) + 1);
      received++;
      if (id.startsWith('<mail_')) receivedKeyhaven++;
      onReceived();
      callback();
    });
  },
});
await new Promise((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpUrl = `smtp://127.0.0.1:${smtp.server.address().port}`;

// --------------------------------------------------------------------------------------- Keyhaven
const config = loadConfig({ ...process.env, SMTP_URL: smtpUrl, MAIL_FROM: 'Keyhaven Bench <licenses@bench.test>' });
const runtime = await openRuntime(config);
const { db } = runtime.database;
const wire = () => createServices(runtime, () => {}, { onError: (error) => say(`worker error: ${error?.message ?? error}`) });

const mailSpec = (i, round) => ({
  template: 'license.issued',
  to: `buyer-${round}-${i}@bench.test`,
  data: {
    customer: { name: `Bench Customer ${i}` },
    product: { name: 'Photon Studio' },
    license: { key: 'F2A65-VPQAS-871CH-C03B0-FGKD1-1QX3C', expiresAt: '2027-03-01T00:00:00.000Z', maxMachines: 5 },
    setPasswordUrl: `${config.publicUrl}/set-password?token=khpw_bench${i}`,
  },
  category: 'essential',
  dedupeKey: `bench:${round}:${i}`,
});

/** Resolves when `predicate` holds, checked whenever the hook set by `setHook` is called. */
const waitUntil = (predicate, setHook) =>
  new Promise((resolve) => {
    if (predicate()) return resolve();
    setHook(() => {
      if (predicate()) resolve();
    });
  });

async function keyhavenRound(round) {
  const { mail, worker } = wire();
  const before = receivedKeyhaven;
  let start = performance.now();
  let next = 0;
  const producer = async () => {
    while (next < count) {
      const i = next++;
      await db.transaction().execute((trx) => mail.send(trx, mailSpec(i, round)));
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, producer));
  const enqueueMs = performance.now() - start;
  const jobs = await db.selectFrom('jobs').select((eb) => eb.fn.countAll().as('n')).where('type', '=', 'mail.send').where('status', '=', 'queued').executeTakeFirst();

  start = performance.now();
  worker.start();
  // Done when the server has every mail of the round and the outbox says so.
  await waitUntil(() => receivedKeyhaven - before >= count, (hook) => (onReceived = hook));
  const statusCounts = async () => {
    const rows = await db
      .selectFrom('mail_outbox')
      .select(['status', (eb) => eb.fn.countAll().as('n')])
      .where('dedupe_key', 'like', `bench:${round}:%`)
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  };
  let byStatus = await statusCounts();
  while ((byStatus.sent ?? 0) < count && performance.now() - start < 600_000) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    byStatus = await statusCounts();
  }
  const deliveryMs = performance.now() - start;
  await worker.stop();
  mail.close();
  return {
    enqueueMs,
    deliveryMs,
    enqueueRate: (count * 1000) / enqueueMs,
    rate: (count * 1000) / deliveryMs,
    endToEndRate: (count * 1000) / (enqueueMs + deliveryMs),
    jobs: Number(jobs?.n ?? 0),
    byStatus,
    received: receivedKeyhaven - before,
  };
}

async function rawRound(content) {
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: POOL, maxMessages: 1000 });
  const before = received;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      transport.sendMail({ from: config.mailFrom, to: `raw-${i}@bench.test`, subject: content.subject, text: content.text, html: content.html, messageId: `<raw-${Date.now()}-${i}@bench.test>` }),
    ),
  );
  const ms = performance.now() - start;
  transport.close();
  return { ms, rate: (count * 1000) / ms, received: received - before };
}

try {
  const content = await wire().mail.previewTemplate('license.issued', { data: mailSpec(0, 0).data });
  say(`SMTP server at ${smtpUrl}; ${count} mails per round, ${rounds} rounds; message ${Buffer.byteLength(content.text) + Buffer.byteLength(content.html)} B of text + HTML`);
  // Warm-up: templates parsed, statements prepared, connections open.
  await rawRound(content);
  await keyhavenRound('warmup');
  const raw = [];
  const keyhaven = [];
  for (let round = 1; round <= rounds; round++) {
    const r = await rawRound(content);
    raw.push(r);
    say(`round ${round}: raw nodemailer ${r.rate.toFixed(0)} msg/s (${r.ms.toFixed(0)} ms)`);
    const k = await keyhavenRound(round);
    keyhaven.push(k);
    say(
      `round ${round}: Keyhaven delivery ${k.rate.toFixed(0)} msg/s (${k.deliveryMs.toFixed(0)} ms, ${k.jobs} mail.send jobs); enqueue ${k.enqueueRate.toFixed(0)} sends/s (${k.enqueueMs.toFixed(0)} ms); end to end ${k.endToEndRate.toFixed(0)} msg/s; ${JSON.stringify(k.byStatus)}`,
    );
  }
  const duplicates = [...messageIds.values()].filter((n) => n > 1).length;
  process.stdout.write(`RESULT ${JSON.stringify({ count, rounds, producers: PRODUCERS, pool: POOL, messageBytes: Buffer.byteLength(content.text) + Buffer.byteLength(content.html), raw, keyhaven, received, duplicates })}\n`);
} finally {
  await runtime.database.close();
  await new Promise((resolve) => smtp.close(resolve));
}
