// Seeds a Keyhaven database with one product, one policy and N licenses, fast: key generation, the
// HMAC digest and the AES-GCM ciphertext are computed exactly as the server computes them (from the
// built server in packages/server/dist), spread over worker threads, and the rows go in with one
// prepared statement inside one transaction (SQLite) or batched `INSERT ... SELECT FROM unnest(...)`
// inside one transaction (PostgreSQL).
//
// Options shared by both functions:
//   policy    { maxMachines, floating, heartbeatSeconds }: the seat terms of the policy, copied onto every
//             license as the server does at issue time (default: 3 node-locked seats)
//   machines  { perLicense, leaseFor(index, j) → ISO string | null }: activated machines seeded with every
//             license; machine j of the license seeded index-th (0-based) has the fingerprint
//             machineFingerprint(index, j) and the lease leaseFor(index, j) (null: node-locked)
// Both return { sample, sampleIndexes, productId, policyId, seconds, ... }: `sample` holds keys spread
// evenly over the table and `sampleIndexes` the seeding index of each (to name its machines).
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'packages/server/dist');
const serverRequire = createRequire(path.join(root, 'packages/server/package.json'));
const distUrl = (rel) => pathToFileURL(path.join(dist, rel)).href;

const CHUNK = 10_000;
const DAY = 86_400_000;

/** The fingerprint of the j-th machine seeded with the index-th license. */
export const machineFingerprint = (index, j) => `bench-${index}-${j}`;

// ---------------------------------------------------------------------------------------------------
// Worker: generates keys and their digests/ciphertexts in chunks, transfers them to the main thread.
// ---------------------------------------------------------------------------------------------------
if (!isMainThread && workerData?.role === 'bench-seed') {
  const { Keyring } = await import(distUrl('crypto/keyring.js'));
  const { generateLicenseKey, keyHint } = await import(distUrl('modules/licenses/license-key.js'));
  const keyring = new Keyring(Buffer.from(workerData.masterKey, 'base64'));
  parentPort.on('message', (msg) => {
    if (msg.type === 'stop') return process.exit(0);
    const { count, seq } = msg;
    const keys = new Array(count);
    const digests = new Array(count);
    const ciphertexts = new Array(count);
    const hints = new Array(count);
    for (let i = 0; i < count; i++) {
      const key = generateLicenseKey();
      const canonical = key.replace(/-/g, '');
      keys[i] = key;
      digests[i] = keyring.digest('license-key', canonical);
      ciphertexts[i] = keyring.encrypt('license-key', key);
      hints[i] = keyHint(canonical);
    }
    parentPort.postMessage({ seq, keys, digests, ciphertexts, hints });
  });
}

/**
 * Yields chunks of generated keys, in order, computed by `threads` workers (a small window of chunks is
 * in flight, so memory stays bounded).
 */
async function* keyChunks(total, masterKeyB64, threads) {
  const workers = Array.from(
    { length: threads },
    () => new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'bench-seed', masterKey: masterKeyB64 } }),
  );
  const results = new Map();
  const waiters = new Map();
  let failure;
  for (const w of workers) {
    w.on('message', (m) => {
      const waiter = waiters.get(m.seq);
      if (waiter) {
        waiters.delete(m.seq);
        waiter.resolve(m);
      } else results.set(m.seq, m);
    });
    w.on('error', (e) => {
      failure = e;
      for (const waiter of waiters.values()) waiter.reject(e);
    });
  }
  const chunks = Math.ceil(total / CHUNK);
  let sent = 0;
  const send = () => {
    if (sent >= chunks) return;
    const count = Math.min(CHUNK, total - sent * CHUNK);
    workers[sent % threads].postMessage({ count, seq: sent });
    sent++;
  };
  try {
    for (let i = 0; i < threads * 2; i++) send();
    for (let seq = 0; seq < chunks; seq++) {
      if (failure) throw failure;
      let chunk = results.get(seq);
      if (chunk) results.delete(seq);
      else chunk = await new Promise((resolve, reject) => waiters.set(seq, { resolve, reject }));
      send();
      yield chunk;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The fixed facts every seeded license shares: active now, for a year, with two features and the policy's seats. */
function fixtures(now, { maxMachines = 3, floating = false, heartbeatSeconds = null } = {}) {
  const iso = now.toISOString();
  const startsAt = new Date(now.getTime() - 30 * DAY).toISOString();
  const expiresAt = new Date(now.getTime() + 365 * DAY).toISOString();
  const graceEndsAt = new Date(now.getTime() + 372 * DAY).toISOString();
  return {
    now: iso,
    product: { code: 'bench-app', name: 'Bench App', metadata: '{}' },
    policy: {
      name: 'Bench subscription',
      kind: 'subscription',
      duration_days: 365,
      max_machines: maxMachines,
      floating: floating ? 1 : 0,
      heartbeat_seconds: heartbeatSeconds,
      grace_days: 7,
      features: '["pro","export"]',
      enforce_domains: 0,
      metadata: '{}',
    },
    license: {
      type: 'subscription',
      starts_at: startsAt,
      expires_at: expiresAt,
      grace_days: 7,
      grace_ends_at: graceEndsAt,
      max_machines: maxMachines,
      floating: floating ? 1 : 0,
      heartbeat_seconds: heartbeatSeconds,
      features: '["pro","export"]',
      domains: '[]',
      billing: JSON.stringify({ invoiceLinks: [], paymentStatus: 'paid', purchaseMethod: 'web shop', reference: null }),
      metadata: '{}',
    },
  };
}

/** Picks `size` keys spread evenly over the whole table (every k-th generated key), with their seeding index. */
function sampler(total, size) {
  const every = Math.max(1, Math.floor(total / size));
  const sample = [];
  const sampleIndexes = [];
  return {
    sample,
    sampleIndexes,
    take(offset, keys) {
      for (let i = 0; i < keys.length; i++) {
        if ((offset + i) % every === 0 && sample.length < size) {
          sample.push(keys[i]);
          sampleIndexes.push(offset + i);
        }
      }
    },
  };
}

/** The machines of one chunk of licenses, as columns (ids, license ids, fingerprints, leases). */
function machineColumns(machines, licenseIds, offset) {
  const cols = { ids: [], licenseIds: [], fingerprints: [], leases: [] };
  if (!machines) return cols;
  for (let i = 0; i < licenseIds.length; i++) {
    for (let j = 0; j < machines.perLicense; j++) {
      cols.ids.push(`mach_bench_${licenseIds[i].slice(4)}_${j}`);
      cols.licenseIds.push(licenseIds[i]);
      cols.fingerprints.push(machineFingerprint(offset + i, j));
      cols.leases.push(machines.leaseFor(offset + i, j));
    }
  }
  return cols;
}

function threadsToUse() {
  // One core stays with the main thread, which inserts while the workers compute the next chunks.
  return Math.max(1, Math.min(4, (os.availableParallelism?.() ?? os.cpus().length) - 1));
}

/** Seeds the (already migrated) SQLite database file. Returns a sample of keys and timings. */
export async function seedSqlite({ file, masterKey, licenses, sampleSize, policy, machines }) {
  const { newId } = await import(distUrl('lib/ids.js'));
  // The server's own SQLite driver for this runtime (node:sqlite or better-sqlite3; both take spread parameters).
  const { openRawSqlite } = await import(distUrl('db/sqlite.js'));
  const started = performance.now();
  const db = openRawSqlite(file);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = OFF');
    db.exec('PRAGMA cache_size = -524288'); // 512 MiB for the bulk load only
    db.exec('PRAGMA foreign_keys = ON');
    const fx = fixtures(new Date(), policy);
    const productId = newId('prod');
    const policyId = newId('pol');
    db.prepare('insert into products (id, code, name, description, url, metadata, created_at, updated_at) values (?, ?, ?, null, null, ?, ?, ?)').run(
      productId, fx.product.code, fx.product.name, fx.product.metadata, fx.now, fx.now,
    );
    const p = fx.policy;
    db.prepare(
      `insert into policies (id, product_id, name, kind, duration_days, max_machines, floating, heartbeat_seconds, grace_days, features, enforce_domains, metadata, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(policyId, productId, p.name, p.kind, p.duration_days, p.max_machines, p.floating, p.heartbeat_seconds, p.grace_days, p.features, p.enforce_domains, p.metadata, fx.now, fx.now);
    const l = fx.license;
    const insert = db.prepare(
      `insert into licenses (id, key_digest, key_ciphertext, key_hint, name, product_id, policy_id, customer_id, type, starts_at, expires_at, grace_days,
         grace_ends_at, suspended_at, revoked_at, max_machines, floating, heartbeat_seconds, features, domains, billing, notes, metadata, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, ?, ?, null, null, ?, ?, ?, ?, ?, ?, null, ?, ?, ?)`,
    );
    const insertMachine = db.prepare(
      `insert into machines (id, license_id, fingerprint, name, hostname, platform, ip, metadata, activated_at, last_heartbeat_at, lease_expires_at, license_user_id)
       values (?, ?, ?, null, null, null, null, '{}', ?, ?, ?, null)`,
    );
    const pick = sampler(licenses, sampleSize);
    let generateMs = 0;
    let insertMs = 0;
    let offset = 0;
    db.exec('begin');
    try {
      let t = performance.now();
      for await (const chunk of keyChunks(licenses, masterKey.toString('base64'), threadsToUse())) {
        const t1 = performance.now();
        generateMs += t1 - t;
        const ids = chunk.keys.map(() => newId('lic'));
        for (let i = 0; i < chunk.keys.length; i++) {
          insert.run(
            ids[i], chunk.digests[i], chunk.ciphertexts[i], chunk.hints[i], `Bench license ${offset + i + 1}`, productId, policyId,
            l.type, l.starts_at, l.expires_at, l.grace_days, l.grace_ends_at, l.max_machines, l.floating, l.heartbeat_seconds, l.features, l.domains, l.billing, l.metadata, fx.now, fx.now,
          );
        }
        const m = machineColumns(machines, ids, offset);
        for (let i = 0; i < m.ids.length; i++) insertMachine.run(m.ids[i], m.licenseIds[i], m.fingerprints[i], fx.now, fx.now, m.leases[i]);
        pick.take(offset, chunk.keys);
        offset += chunk.keys.length;
        t = performance.now();
        insertMs += t - t1;
      }
      const tc = performance.now();
      db.exec('commit');
      insertMs += performance.now() - tc;
    } catch (error) {
      db.exec('rollback');
      throw error;
    }
    const tc = performance.now();
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const checkpointMs = performance.now() - tc;
    const count = db.prepare('select count(*) as n from licenses').get().n;
    if (count !== licenses) throw new Error(`seeded ${count} licenses, expected ${licenses}`);
    return {
      sample: pick.sample,
      sampleIndexes: pick.sampleIndexes,
      productId,
      policyId,
      seconds: (performance.now() - started) / 1000,
      waitingForKeysSeconds: generateMs / 1000,
      insertSeconds: insertMs / 1000,
      checkpointSeconds: checkpointMs / 1000,
    };
  } finally {
    db.close();
  }
}

/** Seeds the (already migrated) PostgreSQL database. Returns a sample of keys and timings. */
export async function seedPostgres({ url, masterKey, licenses, sampleSize, policy, machines, batch = 10_000 }) {
  const { newId } = await import(distUrl('lib/ids.js'));
  const pg = serverRequire('pg');
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const fx = fixtures(new Date(), policy);
    const productId = newId('prod');
    const policyId = newId('pol');
    await client.query('begin');
    await client.query('insert into products (id, code, name, description, url, metadata, created_at, updated_at) values ($1, $2, $3, null, null, $4, $5, $5)', [
      productId, fx.product.code, fx.product.name, fx.product.metadata, fx.now,
    ]);
    const p = fx.policy;
    await client.query(
      `insert into policies (id, product_id, name, kind, duration_days, max_machines, floating, heartbeat_seconds, grace_days, features, enforce_domains, metadata, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
      [policyId, productId, p.name, p.kind, p.duration_days, p.max_machines, p.floating, p.heartbeat_seconds, p.grace_days, p.features, p.enforce_domains, p.metadata, fx.now],
    );
    const l = fx.license;
    // One parameter per varying column: the batch travels as five arrays, whatever its size.
    const insertSql = `insert into licenses (id, key_digest, key_ciphertext, key_hint, name, product_id, policy_id, customer_id, type, starts_at, expires_at, grace_days,
         grace_ends_at, suspended_at, revoked_at, max_machines, floating, heartbeat_seconds, features, domains, billing, notes, metadata, created_at, updated_at)
       select u.id, u.digest, u.ciphertext, u.hint, u.name, $6, $7, null, $8, $9, $10, $11, $12, null, null, $13, $14, $15, $16, $17, $18, null, $19, $20, $20
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as u(id, digest, ciphertext, hint, name)`;
    const constants = [productId, policyId, l.type, l.starts_at, l.expires_at, l.grace_days, l.grace_ends_at, l.max_machines, l.floating, l.heartbeat_seconds, l.features, l.domains, l.billing, l.metadata, fx.now];
    const insertMachinesSql = `insert into machines (id, license_id, fingerprint, name, hostname, platform, ip, metadata, activated_at, last_heartbeat_at, lease_expires_at, license_user_id)
       select u.id, u.license_id, u.fingerprint, null, null, null, null, '{}', $5, $5, u.lease, null
       from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) as u(id, license_id, fingerprint, lease)`;
    const pick = sampler(licenses, sampleSize);
    let generateMs = 0;
    let insertMs = 0;
    let offset = 0;
    let inFlight = Promise.resolve();
    try {
      let t = performance.now();
      for await (const chunk of keyChunks(licenses, masterKey.toString('base64'), threadsToUse())) {
        const t1 = performance.now();
        generateMs += t1 - t;
        const ids = chunk.keys.map(() => newId('lic'));
        const names = chunk.keys.map((_, i) => `Bench license ${offset + i + 1}`);
        const m = machineColumns(machines, ids, offset);
        pick.take(offset, chunk.keys);
        offset += chunk.keys.length;
        // Let PostgreSQL insert one batch while the workers compute the next.
        await inFlight;
        for (let i = 0; i < ids.length; i += batch) {
          const end = i + batch;
          inFlight = client.query(insertSql, [ids.slice(i, end), chunk.digests.slice(i, end), chunk.ciphertexts.slice(i, end), chunk.hints.slice(i, end), names.slice(i, end), ...constants]).then(() => {});
          if (end < ids.length) await inFlight;
        }
        if (m.ids.length > 0) {
          await inFlight;
          inFlight = client.query(insertMachinesSql, [m.ids, m.licenseIds, m.fingerprints, m.leases, fx.now]).then(() => {});
        }
        t = performance.now();
        insertMs += t - t1;
      }
      const tc = performance.now();
      await inFlight;
      await client.query('commit');
      insertMs += performance.now() - tc;
    } catch (error) {
      await inFlight.catch(() => {});
      await client.query('rollback').catch(() => {});
      throw error;
    }
    const ta = performance.now();
    await client.query('analyze');
    const analyzeMs = performance.now() - ta;
    const { rows } = await client.query('select count(*)::int as n from licenses');
    if (rows[0].n !== licenses) throw new Error(`seeded ${rows[0].n} licenses, expected ${licenses}`);
    return {
      sample: pick.sample,
      sampleIndexes: pick.sampleIndexes,
      productId,
      policyId,
      seconds: (performance.now() - started) / 1000,
      waitingForKeysSeconds: generateMs / 1000,
      insertSeconds: insertMs / 1000,
      analyzeSeconds: analyzeMs / 1000,
    };
  } finally {
    await client.end().catch(() => {});
  }
}
