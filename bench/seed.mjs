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
//   partner   { customers, every, vendorSoldEvery, subscriptionShare }: a partner world instead of
//             ownerless licenses (see partnerWorld below): `customers` customers, every `every`-th of them
//             belonging to one partner that holds a product group with the seeded product, every
//             `every`-th license theirs; a `subscriptionShare` of the licenses annual subscriptions, the
//             others perpetual; a partner-admin user with a signed-in session
// Both return { sample, sampleIndexes, productId, policyId, seconds, ... }: `sample` holds keys spread
// evenly over the table and `sampleIndexes` the seeding index of each (to name its machines); with
// `partner`, also `partner` (its id, its admin's session token, what was seeded for it).
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
function fixtures(now, { maxMachines = 3, floating = false, heartbeatSeconds = null } = {}, { perpetual = false } = {}) {
  const iso = now.toISOString();
  const startsAt = new Date(now.getTime() - 30 * DAY).toISOString();
  const expiresAt = new Date(now.getTime() + 365 * DAY).toISOString();
  const graceEndsAt = new Date(now.getTime() + 372 * DAY).toISOString();
  return {
    now: iso,
    product: { code: 'bench-app', name: 'Bench App', metadata: '{}' },
    policy: {
      name: perpetual ? 'Bench perpetual' : 'Bench subscription',
      kind: perpetual ? 'perpetual' : 'subscription',
      duration_days: perpetual ? null : 365,
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

// ---------------------------------------------------------------------------------------------------
// The partner world (option `partner`): customers, one partner with a product group, its admin's session,
// and per license its owner, seller and terms.
// ---------------------------------------------------------------------------------------------------

/** A 32-bit integer hash (lowbias32): spreads neighbouring indexes over customers and shares without a pattern. */
function mix(x) {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

export const PARTNER_ADMIN_EMAIL = 'partner-admin@bench.example';
const STAFF_EMAIL = 'sales@vendor.example';
const ALL_PARTNER_RIGHTS = ['trials:create', 'licenses:create', 'licenses:extend', 'licenses:suspend', 'licenses:revoke', 'subscriptions:cancel', 'customers:create', 'downloads'];

/**
 * What the partner option seeds besides the licenses, and each license's varying columns.
 *
 * Customers: `customers` of them (a multiple of `every`), every `every`-th one the partner's
 * (customers.partner_id, as when its users create them). Licenses: every `every`-th (in seeding, hence id,
 * order) goes to one of the partner's customers, the others to the other customers, each to a customer picked
 * by a hash of its index. Of the partner's, every `vendorSoldEvery`-th was sold by the vendor (sold_by null,
 * created by a staff user), the others by the partner (sold_by, created by its admin: what the licenses
 * service writes). A `subscriptionShare` of all licenses are annual subscriptions (12 months, EUR 120.00,
 * auto-renewing) started 0–730 days ago and renewed every year since, except every 5th, cancelled, which ran
 * out after its first term (so on the report's day about 90% of them are active); the others perpetual.
 */
function partnerWorld(now, fx, ids, { customers = 20_000, every = 10, vendorSoldEvery = 5, subscriptionShare = 0.3 }, sessionDigest) {
  if (customers % every !== 0) throw new Error(`partner.customers (${customers}) must be a multiple of partner.every (${every})`);
  const at = fx.now;
  const nowMs = now.getTime();
  const iso = (ms) => new Date(ms).toISOString();
  const partnerId = ids.newId('ptn');
  const groupId = ids.newId('pgrp');
  const userId = ids.newId('usr');
  const token = `khs_${ids.randomToken()}`;
  const customerIds = Array.from({ length: customers }, () => ids.newId('cus'));
  const ownCount = customers / every;
  const setup = [
    { table: 'partners', rows: [{ id: partnerId, name: 'Bench Partner', email: 'orders@partner.example', created_at: at, updated_at: at }] },
    { table: 'product_groups', rows: [{ id: groupId, name: 'Bench products', position: 0, created_at: at, updated_at: at }] },
    { table: 'product_group_products', rows: [{ group_id: groupId, product_id: ids.productId }] },
    { table: 'partner_grants', rows: [{ partner_id: partnerId, product_group_id: groupId, rights: JSON.stringify(ALL_PARTNER_RIGHTS) }] },
    {
      table: 'customers',
      rows: customerIds.map((id, c) => ({
        id, name: `Bench customer ${c + 1}`, email: `customer-${c + 1}@bench.example`, contacts: '[]', notes: null, metadata: '{}', created_at: at, updated_at: at,
        partner_id: c % every === 0 ? partnerId : null,
      })),
    },
    {
      table: 'users',
      rows: [{ id: userId, email: PARTNER_ADMIN_EMAIL, name: 'Partner Admin', password_hash: null, kind: 'partner', role: 'partner-admin', customer_id: null, partner_id: partnerId, disabled_at: null, last_sign_in_at: at, created_at: at, updated_at: at }],
    },
    {
      table: 'sessions',
      rows: [{ id: ids.newId('ses'), token_digest: sessionDigest(token), user_id: userId, ip: '127.0.0.1', user_agent: 'keyhaven bench', created_at: at, expires_at: iso(nowMs + 2 * DAY), revoked_at: null }],
    },
  ];
  const terms = JSON.stringify({ termMonths: 12, termDays: null, alignment: 'purchase', fiscalYearStartMonth: null, firstTerm: 'shorten', cancellationNoticeDays: 0, price: 12_000, currency: 'EUR', firstTermPrice: null, anchorAt: null });
  const subscriptionPolicy = {
    id: ids.newId('pol'), product_id: ids.productId, name: 'Bench annual subscription', kind: 'subscription', duration_days: null, term_months: 12, auto_renew: 1, price: 12_000, currency: 'EUR',
  };
  const counts = { partnerLicenses: 0, soldByPartner: 0, partnerSubscriptions: 0, subscriptions: 0 };
  const threshold = Math.round(subscriptionShare * 1000);
  /** The varying columns of the license seeded index-th. */
  const licenseRow = (index) => {
    const own = index % every === 0;
    const h = mix(index);
    const customer = own ? (h % ownCount) * every : Math.floor((h % (customers - ownCount)) / (every - 1)) * every + 1 + ((h % (customers - ownCount)) % (every - 1));
    const soldByPartner = own && Math.floor(index / every) % vendorSoldEvery !== 0;
    const ageDays = mix(index ^ 0x9e3779b9) % 730;
    const startsMs = nowMs - ageDays * DAY - (h % DAY);
    const subscription = mix(index + 0x632be5ab) % 1000 < threshold;
    const row = {
      customer_id: customerIds[customer],
      sold_by: soldByPartner ? partnerId : null,
      created_by: soldByPartner ? PARTNER_ADMIN_EMAIL : STAFF_EMAIL,
      starts_at: iso(startsMs),
    };
    if (own) counts.partnerLicenses++;
    if (soldByPartner) counts.soldByPartner++;
    if (!subscription) {
      return { ...row, policy_id: ids.policyId, type: 'commercial', expires_at: null, grace_ends_at: null, subscription: null, auto_renew: null, renewed_by: null, cancelled_at: null, term_starts_at: null };
    }
    counts.subscriptions++;
    if (own) counts.partnerSubscriptions++;
    const renewals = Math.floor(ageDays / 365);
    const cancelled = mix(index + 0x1b873593) % 5 === 0;
    const termStartMs = cancelled ? startsMs : startsMs + renewals * 365 * DAY;
    const expiresMs = termStartMs + 365 * DAY;
    return {
      ...row,
      policy_id: subscriptionPolicy.id,
      type: 'subscription',
      expires_at: iso(expiresMs),
      grace_ends_at: iso(expiresMs + fx.license.grace_days * DAY),
      subscription: terms,
      auto_renew: cancelled ? 0 : 1,
      renewed_by: 'keyhaven',
      cancelled_at: cancelled ? iso(termStartMs + 30 * DAY) : null,
      term_starts_at: iso(termStartMs),
    };
  };
  return {
    setup,
    subscriptionPolicy,
    licenseRow,
    summary: () => ({ id: partnerId, groupId, userId, email: PARTNER_ADMIN_EMAIL, sessionToken: token, customers, partnerCustomers: ownCount, ...counts }),
  };
}

/** The columns that vary per license when no partner world is seeded: every license alike, ownerless. */
function plainLicenseRow(fx, policyId) {
  const l = fx.license;
  const row = {
    customer_id: null, sold_by: null, created_by: null, starts_at: l.starts_at, policy_id: policyId, type: l.type, expires_at: l.expires_at, grace_ends_at: l.grace_ends_at,
    subscription: null, auto_renew: null, renewed_by: null, cancelled_at: null, term_starts_at: null,
  };
  return () => row;
}

/** The varying license columns, in the order both inserts bind them. */
const VARYING = ['customer_id', 'sold_by', 'created_by', 'starts_at', 'policy_id', 'type', 'expires_at', 'grace_ends_at', 'subscription', 'auto_renew', 'renewed_by', 'cancelled_at', 'term_starts_at'];
const PG_TYPES = { auto_renew: 'int[]', starts_at: 'timestamptz[]', expires_at: 'timestamptz[]', grace_ends_at: 'timestamptz[]', cancelled_at: 'timestamptz[]', term_starts_at: 'timestamptz[]' };

/** The extra policy of a partner world as a policies row (a subscription policy with its terms). */
function policyRow(p, fx) {
  const b = fx.policy;
  return {
    id: p.id, product_id: p.product_id, name: p.name, kind: p.kind, duration_days: p.duration_days, max_machines: b.max_machines, floating: b.floating, heartbeat_seconds: b.heartbeat_seconds,
    grace_days: b.grace_days, features: b.features, enforce_domains: b.enforce_domains, metadata: b.metadata, created_at: fx.now, updated_at: fx.now, term_months: p.term_months, auto_renew: p.auto_renew,
    price: p.price, currency: p.currency,
  };
}

/** The Keyring's keyed digest of a session token, as the sessions module stores it. */
async function sessionDigester(masterKey) {
  const { Keyring } = await import(distUrl('crypto/keyring.js'));
  const keyring = new Keyring(masterKey);
  return (token) => keyring.digest('session', token);
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

/** Sets up what every seeding shares: the ids, the fixtures and, with `partner`, the partner world. */
async function plan({ masterKey, policy, partner }) {
  const { newId } = await import(distUrl('lib/ids.js'));
  const now = new Date();
  const fx = fixtures(now, policy, { perpetual: partner !== undefined });
  const productId = newId('prod');
  const policyId = newId('pol');
  const randomToken = () => crypto.getRandomValues(Buffer.alloc(32)).toString('base64url');
  const world = partner ? partnerWorld(now, fx, { newId, randomToken, productId, policyId }, partner, await sessionDigester(masterKey)) : undefined;
  return { newId, fx, productId, policyId, world, licenseRow: world ? world.licenseRow : plainLicenseRow(fx, policyId) };
}

/** The partner world's rows (after the product and policies), table by table, through `insert(table, rows)`. */
async function insertWorld(p, insert) {
  if (!p.world) return;
  await insert('policies', [policyRow(p.world.subscriptionPolicy, p.fx)]);
  for (const { table, rows } of p.world.setup) await insert(table, rows);
}

/** Seeds the (already migrated) SQLite database file. Returns a sample of keys and timings. */
export async function seedSqlite({ file, masterKey, licenses, sampleSize, policy, machines, partner }) {
  // The server's own SQLite driver for this runtime (node:sqlite or better-sqlite3; both take spread parameters).
  const { openRawSqlite } = await import(distUrl('db/sqlite.js'));
  const started = performance.now();
  const db = openRawSqlite(file);
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = OFF');
    db.exec('PRAGMA cache_size = -524288'); // 512 MiB for the bulk load only
    db.exec('PRAGMA foreign_keys = ON');
    const p = await plan({ masterKey, policy, partner });
    const { fx, productId, policyId, newId } = p;
    db.prepare('insert into products (id, code, name, description, url, metadata, created_at, updated_at) values (?, ?, ?, null, null, ?, ?, ?)').run(
      productId, fx.product.code, fx.product.name, fx.product.metadata, fx.now, fx.now,
    );
    const pol = fx.policy;
    db.prepare(
      `insert into policies (id, product_id, name, kind, duration_days, max_machines, floating, heartbeat_seconds, grace_days, features, enforce_domains, metadata, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(policyId, productId, pol.name, pol.kind, pol.duration_days, pol.max_machines, pol.floating, pol.heartbeat_seconds, pol.grace_days, pol.features, pol.enforce_domains, pol.metadata, fx.now, fx.now);
    await insertWorld(p, (table, rows) => {
      const columns = Object.keys(rows[0]);
      const stmt = db.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`);
      for (const row of rows) stmt.run(...columns.map((c) => row[c]));
    });
    const l = fx.license;
    const insert = db.prepare(
      `insert into licenses (id, key_digest, key_ciphertext, key_hint, name, product_id, ${VARYING.join(', ')}, grace_days,
         suspended_at, revoked_at, max_machines, floating, heartbeat_seconds, features, domains, billing, notes, metadata, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ${VARYING.map(() => '?').join(', ')}, ?, null, null, ?, ?, ?, ?, ?, ?, null, ?, ?, ?)`,
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
          const row = p.licenseRow(offset + i);
          insert.run(
            ids[i], chunk.digests[i], chunk.ciphertexts[i], chunk.hints[i], `Bench license ${offset + i + 1}`, productId, ...VARYING.map((c) => row[c]),
            l.grace_days, l.max_machines, l.floating, l.heartbeat_seconds, l.features, l.domains, l.billing, l.metadata, fx.now, fx.now,
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
      ...(p.world ? { partner: p.world.summary() } : {}),
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
export async function seedPostgres({ url, masterKey, licenses, sampleSize, policy, machines, partner, batch = 10_000 }) {
  const pg = serverRequire('pg');
  const started = performance.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const p = await plan({ masterKey, policy, partner });
    const { fx, productId, policyId, newId } = p;
    await client.query('begin');
    await client.query('insert into products (id, code, name, description, url, metadata, created_at, updated_at) values ($1, $2, $3, null, null, $4, $5, $5)', [
      productId, fx.product.code, fx.product.name, fx.product.metadata, fx.now,
    ]);
    const pol = fx.policy;
    await client.query(
      `insert into policies (id, product_id, name, kind, duration_days, max_machines, floating, heartbeat_seconds, grace_days, features, enforce_domains, metadata, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
      [policyId, productId, pol.name, pol.kind, pol.duration_days, pol.max_machines, pol.floating, pol.heartbeat_seconds, pol.grace_days, pol.features, pol.enforce_domains, pol.metadata, fx.now],
    );
    await insertWorld(p, async (table, rows) => {
      const columns = Object.keys(rows[0]);
      const per = Math.floor(30_000 / columns.length);
      for (let i = 0; i < rows.length; i += per) {
        const slice = rows.slice(i, i + per);
        let n = 0;
        const values = slice.map(() => `(${columns.map(() => `$${++n}`).join(', ')})`).join(', ');
        await client.query(`insert into ${table} (${columns.join(', ')}) values ${values}`, slice.flatMap((row) => columns.map((c) => row[c])));
      }
    });
    const l = fx.license;
    // One array parameter per varying column: the batch travels as arrays, whatever its size.
    const arrays = ['id', 'digest', 'ciphertext', 'hint', 'name', ...VARYING];
    const insertSql = `insert into licenses (id, key_digest, key_ciphertext, key_hint, name, ${VARYING.join(', ')}, product_id, grace_days,
         suspended_at, revoked_at, max_machines, floating, heartbeat_seconds, features, domains, billing, notes, metadata, created_at, updated_at)
       select u.*, $${arrays.length + 1}, $${arrays.length + 2}, null, null, $${arrays.length + 3}, $${arrays.length + 4}, $${arrays.length + 5}, $${arrays.length + 6},
         $${arrays.length + 7}, $${arrays.length + 8}, null, $${arrays.length + 9}, $${arrays.length + 10}, $${arrays.length + 10}
       from unnest(${arrays.map((a, i) => `$${i + 1}::${PG_TYPES[a] ?? 'text[]'}`).join(', ')}) as u(${arrays.join(', ')})`;
    const constants = [productId, l.grace_days, l.max_machines, l.floating, l.heartbeat_seconds, l.features, l.domains, l.billing, l.metadata, fx.now];
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
        const rows = chunk.keys.map((_, i) => p.licenseRow(offset + i));
        const varying = VARYING.map((c) => rows.map((r) => r[c]));
        const m = machineColumns(machines, ids, offset);
        pick.take(offset, chunk.keys);
        offset += chunk.keys.length;
        // Let PostgreSQL insert one batch while the workers compute the next.
        await inFlight;
        for (let i = 0; i < ids.length; i += batch) {
          const end = i + batch;
          const columns = [ids, chunk.digests, chunk.ciphertexts, chunk.hints, names, ...varying].map((c) => c.slice(i, end));
          inFlight = client.query(insertSql, [...columns, ...constants]).then(() => {});
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
      ...(p.world ? { partner: p.world.summary() } : {}),
      seconds: (performance.now() - started) / 1000,
      waitingForKeysSeconds: generateMs / 1000,
      insertSeconds: insertMs / 1000,
      analyzeSeconds: analyzeMs / 1000,
    };
  } finally {
    await client.end().catch(() => {});
  }
}
