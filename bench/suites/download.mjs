// Suite `download`: one large artifact (BENCH_DOWNLOAD_MB, default 500 MB) downloaded through a signed
// link (GET /v1/downloads/:id?…) against a raw node http server streaming the same file from disk
// (bench/download-baseline.mjs), and the server's memory while it streams.
//
// For each database: a file of random bytes is written to the pass's work directory in 1 MB chunks
// (never whole in memory), uploaded through the staff API as application/octet-stream streamed from
// disk (its throughput is reported for information), the release published and a staff download link
// made. Both servers are pinned to the server core; the client (bench/download-client.mjs, its own
// process on the load core) reads the bytes and discards them. One warm-up download per target hashes
// the bytes (they must be the uploaded file's); then `rounds` downloads per target, alternating, only
// counted. The Keyhaven server's RSS is sampled from /proc every 50 ms: idle before the first download,
// peak during them. The work directory (the file and the stored copy) is removed when the pass ends.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  dialectName,
  fmt,
  freePort,
  log,
  postgresNote,
  prepareDatabase,
  query,
  root,
  rssKb,
  runEachDialect,
  runScript,
  loadCpu,
  seed,
  serverCpu,
  startKeyhaven,
  startNode,
  stopChild,
  waitForHealth,
} from '../harness.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { ratio: 0.8, rssGrowthMb: 64 };
const MB = 1024 * 1024;
const sizeMb = () => {
  const raw = process.env.BENCH_DOWNLOAD_MB;
  if (raw === undefined || raw === '') return 500;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_DOWNLOAD_MB must be a whole number of MB ≥ 1 (got "${raw}")`);
  return n;
};

/** Writes `mb` MB of random bytes to `file`, a 1 MB chunk at a time; returns its SHA-256. */
async function writeRandomFile(file, mb) {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let i = 0; i < mb; i++) {
      const chunk = randomBytes(MB);
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(chunks, createWriteStream(file));
  return hash.digest('hex');
}

/** PUTs the file as the request body, streamed from disk; returns the artifact and the seconds it took. */
function upload(url, token, releaseId, file, fileName) {
  const query = new URLSearchParams({ platform: 'linux', arch: 'x64', fileType: 'tar.gz', fileName });
  const size = statSync(file).size;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(`${url}/v1/releases/${releaseId}/artifacts?${query}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        if (res.statusCode !== 201) return reject(new Error(`the upload answered ${res.statusCode}: ${text}`));
        resolve({ artifact: JSON.parse(text), seconds: (performance.now() - started) / 1000 });
      });
    });
    req.on('error', reject);
    pipeline(createReadStream(file), req).catch(reject);
  });
}

async function staff(url, token, method, route, body, expect) {
  const res = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${route} answered ${res.status} (expected ${expect}): ${text}`);
  return JSON.parse(text);
}

async function startDownloadBaseline(file) {
  const port = await freePort();
  const child = startNode('download baseline', [path.join(root, 'bench/download-baseline.mjs')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', FILE: file },
    cpu: serverCpu,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(child, `${url}/health`);
  return { child, url: `${url}/artifact.bin`, pid: child.pid };
}

/** One download by the client process; the server's RSS is sampled every 50 ms meanwhile. */
async function download(name, url, pid, expectedBytes, { sha256 = false } = {}) {
  let peakKb = rssKb(pid) ?? 0;
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, rssKb(pid) ?? 0);
  }, 50);
  try {
    const r = await runScript(`download client (${name})`, [path.join(root, 'bench/download-client.mjs'), url, ...(sha256 ? ['--sha256'] : [])], { cpu: loadCpu });
    if (r.status !== 200 || r.bytes !== expectedBytes || r.contentLength !== expectedBytes) {
      throw new Error(`${name}: the download answered ${r.status} with ${r.bytes} bytes (Content-Length ${r.contentLength}); expected ${expectedBytes}`);
    }
    return { ...r, mbPerSecond: r.bytes / MB / r.seconds, peakKb };
  } finally {
    clearInterval(sampler);
    peakKb = Math.max(peakKb, rssKb(pid) ?? 0);
  }
}

async function benchDialect(dialect, settings, run) {
  const mb = sizeMb();
  const adminToken = randomBytes(24).toString('base64url');
  const db = await prepareDatabase(dialect, {
    suite: 'download',
    runStamp: run.runStamp,
    keep: run.keep,
    extraEnv: { KEYHAVEN_ADMIN_TOKEN: adminToken, KEYHAVEN_ARTIFACT_MAX_MB: String(Math.max(2048, mb * 2)) },
  });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, workDir, masterKey, info } = db;
  const label = `download/${dialect}`;

  const seeded = await seed(dialect, env, masterKey, { licenses: 100, sampleSize: 1 }, label);
  const file = path.join(workDir, 'artifact.bin');
  let t = performance.now();
  const sha256 = await writeRandomFile(file, mb);
  const bytes = statSync(file).size;
  log(`${label}: wrote ${mb} MB of random bytes to ${file} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const server = await startKeyhaven(env, dialect);
  const rssStartKb = rssKb(server.pid);
  const release = await staff(server.url, adminToken, 'POST', '/v1/releases', { productId: seeded.productId, version: '2.0.0', notes: 'Bench release with one large file.' }, 201);
  const uploaded = await upload(server.url, adminToken, release.id, file, 'bench-app-2.0.0-linux-x64.tar.gz');
  if (uploaded.artifact.size !== bytes || uploaded.artifact.sha256 !== sha256) {
    throw new Error(`the stored artifact has ${uploaded.artifact.size} bytes and SHA-256 ${uploaded.artifact.sha256}; the file has ${bytes} and ${sha256}`);
  }
  info.upload = { seconds: uploaded.seconds, mbPerSecond: mb / uploaded.seconds, rssStartKb, rssAfterKb: rssKb(server.pid) };
  log(`${label}: uploaded through the API in ${uploaded.seconds.toFixed(1)} s (${info.upload.mbPerSecond.toFixed(0)} MB/s)`);
  await staff(server.url, adminToken, 'POST', `/v1/releases/${release.id}/actions/publish`, undefined, 200);
  const link = await staff(server.url, adminToken, 'POST', `/v1/artifacts/${uploaded.artifact.id}/download-link`, undefined, 200);
  // The link names the public URL (KEYHAVEN_PUBLIC_URL); the benchmark server listens on its own port.
  const linkUrl = new URL(link.url);
  const keyhavenUrl = `${server.url}${linkUrl.pathname}${linkUrl.search}`;

  const baseline = await startDownloadBaseline(file);
  const targets = [
    { name: 'baseline', url: baseline.url, pid: baseline.pid },
    { name: 'keyhaven', url: keyhavenUrl, pid: server.pid },
  ];
  const results = Object.fromEntries(targets.map((x) => [x.name, { idleKb: rssKb(x.pid), warmup: undefined, rounds: [] }]));
  for (const target of targets) {
    log(`${label}: warm-up download from ${target.name} (bytes hashed and checked)`);
    const w = await download(target.name, target.url, target.pid, bytes, { sha256: true });
    if (w.sha256 !== sha256) throw new Error(`${target.name} served other bytes (SHA-256 ${w.sha256}, expected ${sha256})`);
    results[target.name].warmup = w;
  }
  for (let round = 1; round <= settings.rounds; round++) {
    // Alternate which goes first, so neither always follows the other's page-cache traffic.
    for (const target of round % 2 ? targets : [...targets].reverse()) {
      const d = await download(target.name, target.url, target.pid, bytes);
      log(`${label}: round ${round} of ${settings.rounds}: ${target.name} ${d.mbPerSecond.toFixed(0)} MB/s (${d.seconds.toFixed(2)} s), server RSS peak ${fmt.mb(d.peakKb)} MB`);
      results[target.name].rounds.push(d);
    }
  }
  await stopChild(baseline.child);
  await stopChild(server.child);
  info.downloadsRecorded = Number((await query(dialect, env, 'select count(*) as n from downloads where artifact_id = ?', [uploaded.artifact.id]))[0].n);

  const summarize = (r) => {
    const seconds = r.rounds.reduce((s, d) => s + d.seconds, 0);
    return {
      mbPerSecond: (r.rounds.length * bytes) / MB / seconds,
      perRound: r.rounds.map((d) => Math.round(d.mbPerSecond * 10) / 10),
      firstByteMs: r.rounds.map((d) => d.firstByteMs),
      idleKb: r.idleKb,
      peakKb: Math.max(r.warmup.peakKb, ...r.rounds.map((d) => d.peakKb)),
      warmupMbPerSecond: r.warmup.mbPerSecond,
    };
  };
  return { ...info, skipped: false, sizeMb: mb, bytes, downloads: settings.rounds, baseline: summarize(results.baseline), keyhaven: summarize(results.keyhaven) };
}

function evaluate(pass) {
  const k = pass.keyhaven;
  const ratio = k.mbPerSecond / pass.baseline.mbPerSecond;
  const growthMb = (k.peakKb - k.idleKb) / 1024;
  const expected = pass.downloads + 1;
  return {
    ratio,
    growthMb,
    checks: [
      { name: `download throughput ≥ ${TARGETS.ratio.toFixed(2)} of the raw node http server`, value: `${ratio.toFixed(3)} (${k.mbPerSecond.toFixed(0)} vs ${pass.baseline.mbPerSecond.toFixed(0)} MB/s)`, pass: ratio >= TARGETS.ratio },
      { name: `server RSS while streaming ${pass.sizeMb} MB: peak − idle ≤ ${TARGETS.rssGrowthMb} MB`, value: `${growthMb.toFixed(0)} MB (idle ${fmt.mb(k.idleKb)} MB, peak ${fmt.mb(k.peakKb)} MB)`, pass: growthMb <= TARGETS.rssGrowthMb },
      { name: 'every download recorded', value: `${pass.downloadsRecorded} of ${expected}`, pass: pass.downloadsRecorded === expected },
    ],
  };
}

export default {
  name: 'download',
  title: 'artifact download',
  defaults: { rounds: 3 },

  async run(settings, run) {
    log(`download: a ${sizeMb()} MB artifact (BENCH_DOWNLOAD_MB), 1 warm-up + ${settings.rounds} downloads per target, alternating, ${run.dialects.join(' + ')}`);
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`artifact download benchmark — ${meta.startedAt}`);
    const rows = [['target', 'MB/s', 'per download MB/s', 'first byte ms', 'RSS idle MB', 'RSS peak MB', 'ratio']];
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      const row = (label, x, ratio) => [label, x.mbPerSecond.toFixed(0), x.perRound.map((v) => v.toFixed(0)).join(' / '), x.firstByteMs.map((v) => fmt.ms(v)).join(' / '), fmt.mb(x.idleKb), fmt.mb(x.peakKb), ratio];
      rows.push(row(`node http + createReadStream (${name} pass)`, p.baseline, '1.000'));
      rows.push(row(`GET /v1/downloads/:id, ${name}`, p.keyhaven, p.ratio.toFixed(3)));
    }
    r.table(rows);
    const passes = result.passes.filter((p) => !p.skipped);
    const mb = passes[0]?.sizeMb ?? sizeMb();
    r.paragraph(
      `One ${mb} MB artifact of random bytes (MB = 2^20 bytes), uploaded through the API and published; a staff download link. Both servers pinned to the server core and serving from the same disk; the client (its own process on the load core) discards the bytes. One warm-up download per target (bytes hashed and compared with the file), then ${settings.rounds} downloads per target alternating between the raw node http server and Keyhaven; MB/s is bytes over the time from request to last byte, over the ${settings.rounds} downloads. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(
      `Targets (SQLite): download ≥ ${TARGETS.ratio} of the raw server's throughput in the same run; the server streams, so its RSS (sampled every 50 ms from /proc) grows by at most ${TARGETS.rssGrowthMb} MB over its idle level before the first download; every download is in the download record. PostgreSQL for information.`,
    );
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const notes = [
        `upload through the API (PUT, application/octet-stream streamed from disk, hashed and written by the server): ${p.upload.seconds.toFixed(1)} s, ${p.upload.mbPerSecond.toFixed(0)} MB/s (for information); server RSS ${fmt.mb(p.upload.rssStartKb)} MB once started, ${fmt.mb(p.upload.rssAfterKb)} MB after the upload`,
        `warm-up downloads (hashing client): raw ${p.baseline.warmupMbPerSecond.toFixed(0)} MB/s, Keyhaven ${p.keyhaven.warmupMbPerSecond.toFixed(0)} MB/s; raw server RSS idle ${fmt.mb(p.baseline.idleKb)} MB → peak ${fmt.mb(p.baseline.peakKb)} MB`,
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('The file and the stored copy live in the pass\'s temporary work directory, removed when the pass ends (unless --keep).');
    return r.render();
  },
};
