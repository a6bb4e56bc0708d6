// The load generator for `npm run bench`, run as its own process (pinned by the caller to the core the
// servers do not use). Reads a JSON job file and drives autocannon against each target in turn:
//
//   1. a warm-up run per target (not measured);
//   2. `rounds` measured runs per target, interleaved (A B A B ...), so that a slow spell of a shared
//      machine hits both targets alike and their ratio stays meaningful.
//
// Latencies are recorded from every response with microsecond resolution (autocannon's own summary has
// 1 ms resolution and cannot be merged across runs). Progress and the result are lines on stdout:
//
//   PHASE warmup <name> | PHASE measure <name> | PHASE pause | RESULT {...json...}
//
// Job: { targets: [{ name, url }], path, bodies: [string], unique?: { field, prefix }, connections,
//        warmupSeconds, rounds, segmentSeconds }
// Every request carries a body picked at random from `bodies` (one license key each), so lookups spread
// over every sampled key. (autocannon's `requests` list would be cloned and prebuilt per connection:
// seconds of start-up with 10,000 keys × 50 connections, during which answers sit unread.) With `unique`,
// each request's body also gets `field` set to a value no other request of the run has
// (`<prefix>-<counter>`): an activation with a new fingerprint every time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const autocannon = createRequire(import.meta.url)('autocannon');
const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { bodies, unique } = job;

const pick = bodies.length > 1 ? () => bodies[Math.floor(Math.random() * bodies.length)] : () => bodies[0];
let sequence = 0;
// The bodies are JSON objects: the unique field is spliced in before the closing brace.
const nextBody = unique ? () => `${pick().slice(0, -1)},${JSON.stringify(unique.field)}:"${unique.prefix}-${(sequence++).toString(36)}"}` : pick;

const request = { method: 'POST', path: job.path, headers: { 'content-type': 'application/json' }, body: nextBody() };
if (bodies.length > 1 || unique) request.setupRequest = (r) => ({ ...r, body: nextBody() });

let current;
// Stopped by the caller (interrupted run): no result.
process.on('SIGTERM', () => {
  current?.stop();
  process.exit(143);
});

/** One autocannon run; `onLatency(ms, status)` sees every response. */
function run(url, seconds, onLatency) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: job.connections, duration: seconds, requests: [request], timeout: 10 }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
    current = instance;
    if (onLatency) instance.on('response', (_client, status, _bytes, ms) => onLatency(ms, status));
  });
}

class Samples {
  constructor() {
    this.values = new Float64Array(1 << 16);
    this.length = 0;
  }
  push(v) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = v;
  }
  percentiles() {
    const sorted = this.values.subarray(0, this.length).sort();
    const at = (p) => (this.length === 0 ? null : sorted[Math.min(this.length - 1, Math.ceil((p / 100) * this.length) - 1)]);
    let sum = 0;
    for (let i = 0; i < this.length; i++) sum += sorted[i];
    const round = (v) => (v === null ? null : Math.round(v * 100) / 100);
    return { p50: round(at(50)), p90: round(at(90)), p99: round(at(99)), max: round(at(100)), mean: round(this.length ? sum / this.length : null) };
  }
}

const stats = new Map(
  job.targets.map((t) => [t.name, { samples: new Samples(), ok: 0, non2xx: 0, errors: 0, timeouts: 0, seconds: 0, sent: 0, warmupSent: 0, bytes: 0 }]),
);

for (const target of job.targets) {
  if (job.warmupSeconds <= 0) break;
  process.stdout.write(`PHASE warmup ${target.name}\n`);
  stats.get(target.name).warmupSent += (await run(target.url, job.warmupSeconds)).requests.sent;
  process.stdout.write('PHASE pause\n');
}
for (let round = 0; round < job.rounds; round++) {
  for (const target of job.targets) {
    const s = stats.get(target.name);
    process.stdout.write(`PHASE measure ${target.name}\n`);
    const started = performance.now();
    const r = await run(target.url, job.segmentSeconds, (ms, status) => {
      if (status >= 200 && status < 300) {
        s.ok++;
        s.samples.push(ms);
      } else s.non2xx++;
    });
    s.seconds += (performance.now() - started) / 1000;
    s.errors += r.errors;
    s.timeouts += r.timeouts;
    s.sent += r.requests.sent;
    s.bytes += r.throughput.total;
    process.stdout.write('PHASE pause\n');
  }
}

const result = {};
for (const [name, s] of stats) {
  result[name] = {
    requestsPerSecond: s.seconds > 0 ? s.ok / s.seconds : 0,
    requestsTotal: s.ok,
    requestsSent: s.sent,
    warmupRequestsSent: s.warmupSent,
    latencyMs: s.samples.percentiles(),
    throughputBytesPerSecond: s.seconds > 0 ? s.bytes / s.seconds : 0,
    non2xx: s.non2xx,
    errors: s.errors,
    timeouts: s.timeouts,
    durationSeconds: Math.round(s.seconds * 10) / 10,
    connections: job.connections,
  };
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
