// Sequential requests for `npm run bench` (the partners suite): one request at a time, as a person paging
// a list or asking for a report does, run in its own process pinned to the load generator's core.
//
//   node bench/sequential.mjs job.json
//
// The job: { targets: [{ name, url }], path, headers, requests, rounds, warmup?, keepFirst? }. Each target
// gets `warmup` requests first (not recorded), then `requests` in `rounds` blocks alternating between the
// targets, so that a slow spell of the shared machine hits them alike. Every answer is read to its end; the
// latency is from sending the request to the last byte. `keepFirst` (a file) keeps the first answer of the
// first target (the body the baseline will answer with). Prints `RESULT {...}`: per target the latencies
// (ms, in order), the statuses and the answer sizes seen.
import { readFileSync, writeFileSync } from 'node:fs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));

async function once(url) {
  const t = performance.now();
  const res = await fetch(url + job.path, { headers: job.headers });
  const body = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t;
  if (job.keepFirst && !kept) {
    writeFileSync(job.keepFirst, body);
    kept = true;
  }
  return { ms, status: res.status, bytes: body.byteLength };
}
let kept = false;

const out = Object.fromEntries(job.targets.map((t) => [t.name, { latenciesMs: [], statuses: {}, bytes: { min: Infinity, max: 0 } }]));
const record = (name, r) => {
  const o = out[name];
  o.statuses[r.status] = (o.statuses[r.status] ?? 0) + 1;
  o.bytes.min = Math.min(o.bytes.min, r.bytes);
  o.bytes.max = Math.max(o.bytes.max, r.bytes);
};

for (const t of job.targets) for (let i = 0; i < (job.warmup ?? 0); i++) record(t.name, await once(t.url));
const perRound = Math.ceil(job.requests / job.rounds);
for (let round = 0; round < job.rounds; round++) {
  for (const t of job.targets) {
    const o = out[t.name];
    const until = Math.min(job.requests, o.latenciesMs.length + perRound);
    while (o.latenciesMs.length < until) {
      const r = await once(t.url);
      o.latenciesMs.push(r.ms);
      record(t.name, r);
    }
  }
}
process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
