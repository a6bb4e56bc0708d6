// Suite `updates`: the client update check (POST /v1/updates/check, a signed answer) against the bare
// Fastify route answering a constant body of the same size, as in the validate suite.
//
// For each database: N licenses (default 100,000) of the seeded product; 40 releases of that product
// created, given their files and published through the staff API (KEYHAVEN_ADMIN_TOKEN): 20 stable
// (1.0.0 … 1.17.2) with a Windows x64, a macOS universal and a Linux x64 file, and 20 pre-releases
// (beta and rc of 1.10 … 1.18) with the Windows and Linux files only; a few small random files each,
// uploaded as application/octet-stream. Each request asks for one of `sample` keys (default 1,000) with
// a platform and arch, mostly on the stable channel (some rc, some beta), from a version that gets an
// update offered (most) or from the newest one (about 15%: up to date). Every body is checked once
// before the load (status, signature, offer or not). When the SQLite pass misses the ratio, a second
// Keyhaven server runs the same load under `node --cpu-prof` and the report says where the time went.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  cli,
  cpuPhrase,
  dialectName,
  fmt,
  freePort,
  loadWarnings,
  log,
  median,
  post,
  postgresNote,
  prepareDatabase,
  query,
  runEachDialect,
  runLoad,
  seed,
  seedTimes,
  serverCpu,
  startBaseline,
  startKeyhaven,
  startNode,
  stopChild,
  waitForHealth,
} from '../harness.mjs';
import { summarizeCpuProfile } from '../cpu-profile.mjs';
import { Report } from '../report.mjs';

export const TARGETS = { ratio: 0.4, rssMb: 250 };
const CHECK_PATH = '/v1/updates/check';
const UP_TO_DATE_SHARE = 0.15;

/** The files of a stable release and of a pre-release: [platform, arch, fileType, fileName(version)]. */
const STABLE_FILES = [
  ['windows', 'x64', 'msi', (v) => `BenchApp-${v}-x64.msi`],
  ['macos', 'universal', 'dmg', (v) => `BenchApp-${v}.dmg`],
  ['linux', 'x64', 'tar.gz', (v) => `bench-app-${v}-linux-x64.tar.gz`],
];
const PRERELEASE_FILES = [STABLE_FILES[0], STABLE_FILES[2]];
/** What the clients run on: [platform, arch]. */
const CLIENT_PLATFORMS = [
  ['windows', 'x64'],
  ['macos', 'arm64'],
  ['linux', 'x64'],
];

/** 40 releases, oldest first: 1.0.0 … 1.17.0 and 1.17.1, 1.17.2 stable; beta.1 and rc.1 of 1.10 … 1.17; 1.18.0 beta.1, beta.2, rc.1, rc.2. */
function releasePlan() {
  const plan = [];
  for (let minor = 0; minor <= 17; minor++) {
    if (minor >= 10) plan.push({ version: `1.${minor}.0-beta.1`, channel: 'beta' }, { version: `1.${minor}.0-rc.1`, channel: 'rc' });
    plan.push({ version: `1.${minor}.0`, channel: 'stable' });
  }
  plan.push({ version: '1.17.1', channel: 'stable' }, { version: '1.17.2', channel: 'stable' });
  plan.push(...['beta.1', 'beta.2', 'rc.1', 'rc.2'].map((pre) => ({ version: `1.18.0-${pre}`, channel: pre.slice(0, -2) })));
  return plan.map((r, i) => ({
    ...r,
    // Releases from 1.15 on need the `pro` feature, which every seeded license holds.
    requirements: /^1\.1[5-8]\./.test(r.version) ? ['pro'] : [],
    notes: releaseNotes(r.version, i),
    docLinks: [{ title: 'Upgrade guide', url: `https://docs.example.com/bench-app/${r.version}/upgrade` }],
  }));
}

function releaseNotes(version, i) {
  return [
    `## Bench App ${version}`,
    '',
    'This release brings **faster project loading** and a reworked export dialog.',
    '',
    '### Changes',
    '',
    `- Projects with many files open up to ${20 + (i % 30)}% faster.`,
    '- The export dialog remembers the last format and folder.',
    `- Fixed a crash when a network drive disconnects during a save ([#${1200 + i}](https://tracker.example.com/issues/${1200 + i})).`,
    '- Updated the bundled OpenSSL.',
    '',
    'See the [upgrade guide](https://docs.example.com/bench-app/upgrade) for the settings that moved.',
  ].join('\n');
}

/** Staff API call with the admin token; throws unless the expected status comes back. */
async function staff(url, token, method, route, { body, expect }) {
  const res = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${route} answered ${res.status} (expected ${expect}): ${text}`);
  return JSON.parse(text);
}

/** Creates every release of the plan through the API, uploads its small files and publishes it. */
async function createReleases(url, token, productId) {
  const started = performance.now();
  const plan = releasePlan();
  let files = 0;
  let bytes = 0;
  for (const r of plan) {
    const release = await staff(url, token, 'POST', '/v1/releases', {
      body: { productId, version: r.version, channel: r.channel, notes: r.notes, docLinks: r.docLinks, requirements: r.requirements },
      expect: 201,
    });
    for (const [platform, arch, fileType, name] of r.channel === 'stable' ? STABLE_FILES : PRERELEASE_FILES) {
      const content = randomBytes(4096 + ((files * 7919) % 28_000)); // 4 to 32 KB
      const query = new URLSearchParams({ platform, arch, fileType, fileName: name(r.version) });
      const res = await fetch(`${url}/v1/releases/${release.id}/artifacts?${query}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
        body: content,
      });
      if (res.status !== 201) throw new Error(`uploading ${name(r.version)} answered ${res.status}: ${await res.text()}`);
      files++;
      bytes += content.length;
    }
    await staff(url, token, 'POST', `/v1/releases/${release.id}/actions/publish`, { expect: 200 });
  }
  return { releases: plan.length, files, bytes, seconds: (performance.now() - started) / 1000, plan };
}

/**
 * One update-check body per sampled key: platform by turn, channel mostly stable (20% rc, 10% beta),
 * and either the newest version of that channel (up to date) or an older stable one.
 */
function checkBodies(sample, plan) {
  const stable = plan.filter((r) => r.channel === 'stable').map((r) => r.version);
  const newest = { stable: stable.at(-1), rc: plan.at(-1).version, beta: plan.at(-1).version };
  return sample.map((key, i) => {
    const [platform, arch] = CLIENT_PLATFORMS[i % CLIENT_PLATFORMS.length];
    const bucket = (i * 37) % 100;
    const channel = bucket < 70 ? 'stable' : bucket < 90 ? 'rc' : 'beta';
    const upToDate = ((i * 53) % 100) < UP_TO_DATE_SHARE * 100;
    const version = upToDate ? newest[channel] : stable[(i * 11) % (stable.length - 1)];
    return JSON.stringify({ key, product: 'bench-app', version, ...(channel === 'stable' ? {} : { channel }), platform, arch });
  });
}

/** Sends every body once: all must answer 200, signed; counts the offers and the answer sizes. */
async function probe(url, bodies) {
  let offers = 0;
  const sizes = [];
  let offerSample;
  for (const body of bodies) {
    const r = await post(url + CHECK_PATH, JSON.parse(body));
    if (r.status !== 200 || !r.signature || r.json?.code !== 'VALID') throw new Error(`unexpected update check answer (${r.status}) to ${body}: ${r.text}`);
    if (r.json.updateAvailable) {
      if (!r.json.release?.artifacts?.length) throw new Error(`an offer without files for ${body}: ${r.text}`);
      offers++;
      sizes.push(Buffer.byteLength(r.text));
      offerSample ??= r.text;
    } else sizes.push(Buffer.byteLength(r.text));
  }
  sizes.sort((a, b) => a - b);
  return { offers, upToDate: bodies.length - offers, bytes: { min: sizes[0], median: median(sizes), max: sizes.at(-1) }, offerSample };
}

/**
 * PostgreSQL: transactions committed in the benchmark database so far (every statement outside a
 * transaction is one), from pg_stat_database (backends flush their counts when they exit). SQLite: undefined.
 */
async function commits(dialect, env) {
  if (dialect !== 'postgres') return undefined;
  return Number((await query(dialect, env, 'select xact_commit as n from pg_stat_database where datname = current_database()'))[0].n);
}

/** The same load on a second server under `node --cpu-prof`: where a request's time goes. */
async function profileRun(env, workDir, bodies, settings, label) {
  const dir = path.join(workDir, 'cpu-profile');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const spawned = performance.now();
  const child = startNode(`keyhaven serve (${label}, --cpu-prof)`, ['--cpu-prof', '--cpu-prof-dir', dir, cli, 'serve'], { env: { ...env, PORT: String(port) }, cpu: serverCpu });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(child, `${url}/health`);
  const from = performance.now() - spawned;
  const load = { ...settings.load, warmupSeconds: 1, durationSeconds: 6, rounds: 1 };
  const loads = await runLoad(`${label} profiled`, [{ name: 'keyhaven', url, pid: child.pid }], { path: CHECK_PATH, bodies, ...load }, workDir);
  const to = performance.now() - spawned;
  await stopChild(child);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`node --cpu-prof wrote no profile into ${dir}`);
  const r = loads.keyhaven;
  return { requestsPerSecond: r.requestsPerSecond, ...summarizeCpuProfile(path.join(dir, file), { fromMs: from, toMs: to, requests: r.warmupRequestsSent + r.requestsSent }) };
}

async function benchDialect(dialect, settings, run) {
  const adminToken = randomBytes(24).toString('base64url');
  const db = await prepareDatabase(dialect, { suite: 'updates', runStamp: run.runStamp, keep: run.keep, extraEnv: { KEYHAVEN_ADMIN_TOKEN: adminToken } });
  if (db.skipped) return { dialect, skipped: true, reason: db.reason };
  const { env, workDir, masterKey, info } = db;
  const label = `updates/${dialect}`;

  const seeded = await seed(dialect, env, masterKey, { licenses: settings.licenses, sampleSize: settings.sampleSize }, label);
  info.seed = seedTimes(seeded);
  const server = await startKeyhaven(env, dialect);
  const catalogue = await createReleases(server.url, adminToken, seeded.productId);
  log(`${label}: ${catalogue.releases} releases with ${catalogue.files} files (${(catalogue.bytes / 1024).toFixed(0)} KB) created, uploaded and published through the API in ${catalogue.seconds.toFixed(1)} s`);
  info.catalogue = { releases: catalogue.releases, files: catalogue.files, bytes: catalogue.bytes, seconds: catalogue.seconds };

  const bodies = checkBodies(seeded.sample, catalogue.plan);
  const probed = await probe(server.url, bodies);
  info.probe = { offers: probed.offers, upToDate: probed.upToDate, responseBytes: probed.bytes };
  log(`${label}: ${bodies.length} bodies checked: ${probed.offers} offer an update, ${probed.upToDate} are up to date; answers ${probed.bytes.min}–${probed.bytes.max} B`);

  // The baseline answers a real offer (the update check's common answer) as a constant body.
  const bodyFile = path.join(workDir, 'updates-answer.json');
  writeFileSync(bodyFile, probed.offerSample);
  const baseline = await startBaseline(CHECK_PATH, bodyFile, bodies[0]);
  log(`${label}: bare Fastify route (${baseline.responseBytes} B answer) and keyhaven checkForUpdate (median ${probed.bytes.median} B signed answer)`);

  const commitsBefore = await commits(dialect, env);
  const loads = await runLoad(
    label,
    [
      { name: 'baseline', url: baseline.url, pid: baseline.pid },
      { name: 'keyhaven', url: server.url, pid: server.pid },
    ],
    { path: CHECK_PATH, bodies, ...settings.load },
    workDir,
  );
  await stopChild(baseline.child);
  await stopChild(server.child);
  const commitsAfter = await commits(dialect, env);
  if (commitsAfter !== undefined) {
    const requests = loads.keyhaven.warmupRequestsSent + loads.keyhaven.requestsSent;
    info.statementsPerRequest = Math.round(((commitsAfter - commitsBefore) / requests) * 100) / 100;
  }

  const pass = { ...info, skipped: false, baseline: { ...loads.baseline, responseBytes: baseline.responseBytes }, keyhaven: loads.keyhaven };
  if (dialect === 'sqlite' && loads.keyhaven.requestsPerSecond / loads.baseline.requestsPerSecond < TARGETS.ratio) {
    log(`${label}: the ratio is below ${TARGETS.ratio}: profiling the same load on a second server (node --cpu-prof)`);
    pass.profile = await profileRun(env, workDir, bodies, settings, label);
  }
  return pass;
}

function evaluate(pass) {
  const k = pass.keyhaven;
  const ratio = k.requestsPerSecond / pass.baseline.requestsPerSecond;
  return {
    ratio,
    checks: [
      { name: `ratio to bare route ≥ ${TARGETS.ratio.toFixed(2)}`, value: `${ratio.toFixed(3)} (${fmt.int(k.requestsPerSecond)} update checks/s)`, pass: ratio >= TARGETS.ratio },
      { name: `peak RSS ≤ ${TARGETS.rssMb} MB`, value: `${fmt.mb(k.rss.peakKb)} MB`, pass: k.rss.peakKb / 1024 <= TARGETS.rssMb },
      { name: 'no errors, timeouts or non-2xx', value: `${k.errors} errors, ${k.timeouts} timeouts, ${k.non2xx} non-2xx`, pass: k.non2xx === 0 && k.errors === 0 && k.timeouts === 0 },
    ],
  };
}

/** The profile as report notes: the areas and the server functions that cost the most per request. */
function profileNotes(profile) {
  const list = (rows) => rows.map((r) => `${r.name} ${r.pct}% (${r.usPerRequest} µs)`).join('; ');
  return [
    `profile (node --cpu-prof, a second server under the same load, ${fmt.int(profile.requestsPerSecond)} checks/s; ${profile.busyMs} ms of CPU sampled): self time by area, % of busy time (µs per request): ${list(profile.byArea.slice(0, 10))}`,
    `profile: heaviest functions (self time): ${list(profile.byFunction.slice(0, 8))}`,
    `profile: server functions, inclusive of what they call synchronously: ${list(profile.serverInclusive.slice(0, 10))}`,
  ];
}

export default {
  name: 'updates',
  title: 'checkForUpdate',
  defaults: { licenses: 100_000, sampleSize: 1_000, durationSeconds: 9, warmupSeconds: 3 },

  async run(settings, run) {
    log(
      `updates: ${settings.licenses.toLocaleString('en-US')} licenses (${settings.sampleSize.toLocaleString('en-US')} keys asking), 40 releases, ${settings.load.connections} connections, ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s per target (${settings.load.rounds} alternating runs), ${run.dialects.join(' + ')}`,
    );
    return runEachDialect(run, (dialect) => benchDialect(dialect, settings, run), evaluate);
  },

  report(result, settings, meta) {
    const r = new Report(`checkForUpdate benchmark — ${meta.startedAt}`);
    const rows = [['target', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'ratio', 'server CPU µs/req']];
    const micros = (x) => (x.cpu?.serverMicrosPerRequest !== undefined ? String(x.cpu.serverMicrosPerRequest) : '-');
    for (const p of result.passes) {
      if (p.skipped) {
        rows.push([`${p.dialect}: skipped`, '-', '-', '-', '-', '-', '-']);
        continue;
      }
      const name = dialectName(p.dialect);
      rows.push([`bare Fastify route (${name} pass)`, fmt.int(p.baseline.requestsPerSecond), fmt.ms(p.baseline.latencyMs.p50), fmt.ms(p.baseline.latencyMs.p99), fmt.mb(p.baseline.rss.peakKb), '1.000', micros(p.baseline)]);
      rows.push([`checkForUpdate, ${name}, signed`, fmt.int(p.keyhaven.requestsPerSecond), fmt.ms(p.keyhaven.latencyMs.p50), fmt.ms(p.keyhaven.latencyMs.p99), fmt.mb(p.keyhaven.rss.peakKb), p.ratio.toFixed(3), micros(p.keyhaven)]);
    }
    r.table(rows);
    r.paragraph(
      `${settings.licenses.toLocaleString('en-US')} licenses per database; 40 releases of their product (20 stable with Windows x64, macOS universal and Linux x64 files; 20 beta and rc pre-releases with Windows and Linux files; 4–32 KB each, uploaded and published through the API; releases from 1.15 require the \`pro\` feature). ` +
        `Each request asks with one of ${settings.sampleSize.toLocaleString('en-US')} keys sampled evenly over the table, at random, for its platform (Windows x64, macOS arm64 or Linux x64), on the stable channel (70%), rc (20%) or beta (10%), from an older version (about 85%: an update with its files and signed links is offered) or the newest one (up to date). ` +
        `${settings.load.connections} connections; ${settings.load.warmupSeconds} s warm-up + ${settings.load.durationSeconds} s measured per target in ${settings.load.rounds} runs alternating between the bare route (answering a real offer as a constant body) and Keyhaven. ${meta.pinning}. Node ${meta.node}, ${meta.cpuModel}.`,
    );
    r.paragraph(
      `Targets (SQLite): update checks ≥ ${TARGETS.ratio} of the bare route's requests/s in the same run, server RSS ≤ ${TARGETS.rssMb} MB under that load. PostgreSQL figures are reported against the same numbers for information. When the SQLite ratio is missed, the same load is run once more against a server under \`node --cpu-prof\` and the profile is summarized below.`,
    );
    for (const p of result.passes) {
      if (p.skipped) {
        r.skipped(p.dialect, p.reason);
        continue;
      }
      const gated = p.dialect === 'sqlite';
      const c = p.catalogue;
      const notes = [
        `seeded in ${p.seed.seconds.toFixed(1)} s; ${c.releases} releases, ${c.files} files (${(c.bytes / 1024).toFixed(0)} KB) created, uploaded and published through the API in ${c.seconds.toFixed(1)} s`,
        `of the ${(p.probe.offers + p.probe.upToDate).toLocaleString('en-US')} request bodies, ${p.probe.offers} get an update offered and ${p.probe.upToDate} are up to date (each checked once before the load); answers ${p.probe.responseBytes.min}–${p.probe.responseBytes.max} B (median ${p.probe.responseBytes.median} B), the baseline's ${p.baseline.responseBytes} B`,
        `p90 ${fmt.ms(p.keyhaven.latencyMs.p90)} ms, max ${fmt.ms(p.keyhaven.latencyMs.max)} ms; RSS idle ${fmt.mb(p.keyhaven.rss.idleKb)} MB → peak ${fmt.mb(p.keyhaven.rss.peakKb)} MB`,
        `CPU during the measured runs (% of one core): bare route: ${cpuPhrase(p.baseline)}; checkForUpdate: ${cpuPhrase(p.keyhaven)}`,
        ...loadWarnings([p.baseline, p.keyhaven], gated),
        ...(p.statementsPerRequest !== undefined
          ? [`${p.statementsPerRequest} committed statements per update check (pg_stat_database.xact_commit over the load ÷ requests sent; includes the buffered validation-log inserts and the job worker's polls)`]
          : []),
        ...(p.profile ? profileNotes(p.profile) : []),
      ];
      if (!gated) notes.push(postgresNote);
      r.pass(`${dialectName(p.dialect)} (${p.serverVersion})`, p.checks, notes, { informational: !gated });
    }
    r.footer('Latencies are recorded per response (µs resolution) over all measured runs of a target; req/s counts 2xx answers over the measured time.');
    return r.render();
  },
};
