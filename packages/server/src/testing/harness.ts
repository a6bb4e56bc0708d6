import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { buildApp, type BuildOptions } from '../app.js';
import type { Config } from '../config.js';
import { Keyring } from '../crypto/keyring.js';
import { loadSigner } from '../crypto/signing.js';
import { openDatabase, type Dialect } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import type { App } from '../http/types.js';
import { ManualClock } from '../lib/clock.js';
import type { Deps, Services } from '../services.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The Stripe webhook signing secret every test app is configured with (tests sign events with it). */
export const TEST_STRIPE_WEBHOOK_SECRET = 'whsec_test_0123456789abcdefghijklmnop';

export { forEachDialect, testDialects } from './dialects.js';

export interface TestDatabase {
  config: Config['database'];
  drop(): Promise<void>;
}

/** A fresh, empty database: a temporary SQLite file, or a new PostgreSQL database dropped afterwards. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-test-'));
    return { config: { dialect: 'sqlite', file: path.join(dir, 'test.sqlite') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `keyhaven_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    config: { dialect: 'postgres', url: url.toString() },
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export function testConfig(database: Config['database'], overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://localhost:8080',
    database,
    dataDir: os.tmpdir(),
    dataDirFromEnv: true,
    adminToken: ADMIN_TOKEN,
    masterKey: { source: 'env', value: randomBytes(32) },
    logLevel: 'silent',
    clientRateLimit: 100_000,
    signInRateLimit: 100_000,
    sessionTtlHours: 12,
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    countryHeader: 'x-test-country',
    // As in production: a test that posts to a receiver on 127.0.0.1 opts in explicitly.
    webhookAllowPrivate: false,
    webhookTimeoutMs: 2000,
    artifactMaxBytes: 4 * 1024 * 1024,
    storage: { driver: 'local' },
    smtpUrl: undefined,
    mailFrom: 'Keyhaven Test <licenses@keyhaven.test>',
    passwordResetRateLimit: 100_000,
    stripeWebhookSecret: TEST_STRIPE_WEBHOOK_SECRET,
    reminderDays: [30, 15, 5, 3, 1],
    remindAutoRenewing: false,
    alertEmails: [],
    alertExpiryDays: 7,
    trialRateLimit: 100_000,
    ...overrides,
  };
}

export interface TestApp {
  app: App;
  services: Services;
  deps: Deps;
  clock: ManualClock;
  dialect: Dialect;
  close(): Promise<void>;
}

/** A migrated database and an app built on it, with a manual clock. */
export async function startTestApp(
  dialect: Dialect,
  options: { config?: Partial<Config>; clock?: ManualClock; webDir?: string; logger?: BuildOptions['logger'] } = {},
): Promise<TestApp> {
  const testDb = await createTestDatabase(dialect);
  // Files the app keeps (artifacts) go to a data directory of its own, removed with the app.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-data-'));
  const config = testConfig(testDb.config, { dataDir, ...options.config });
  const database = openDatabase(config.database);
  await migrateToLatest(database);
  const clock = options.clock ?? new ManualClock('2026-03-01T12:00:00.000Z');
  const keyring = new Keyring((config.masterKey as { value: Buffer }).value);
  const signer = await loadSigner(database.db, keyring, clock);
  const deps: Deps = { config, database, clock, keyring, signer };
  const { app, services } = await buildApp(deps, { ...(options.webDir ? { webDir: options.webDir } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  await app.ready();
  return {
    app,
    services,
    deps,
    clock,
    dialect,
    async close() {
      await app.close();
      await database.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a test app before the suite's tests and closes it after them. The returned object is filled in
 * by the time the tests run: `const ctx = useTestApp(dialect); test(..., () => ctx.api.get(...))`.
 */
export function useTestApp(dialect: Dialect, options: { config?: Partial<Config> } = {}): { t: TestApp; api: Client } {
  const ctx = {} as { t: TestApp; api: Client };
  before(async () => {
    ctx.t = await startTestApp(dialect, options);
    ctx.api = client(ctx.t.app);
  });
  after(async () => ctx.t?.close());
  return ctx;
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
  raw: string;
}

/**
 * A tiny JSON client over `inject`, with a bearer token: `client(app)` sends the admin token,
 * `client(app, token)` that token, and `client(app, undefined)` none at all.
 */
export function client(app: App, ...credential: [token?: string | undefined]) {
  // Not a default parameter: that would turn an explicit `undefined` (anonymous) into the admin token.
  const token = credential.length === 0 ? ADMIN_TOKEN : credential[0];
  const call = async <T = any>(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      ...(payload !== undefined ? { payload: payload as object } : {}),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
    let body: any = undefined;
    if (res.body.length > 0) {
      try {
        body = JSON.parse(res.body);
      } catch {
        body = res.body;
      }
    }
    return { status: res.statusCode, body, headers: res.headers, raw: res.body };
  };
  return {
    get: <T = any>(url: string) => call<T>('GET', url),
    post: <T = any>(url: string, payload?: unknown) => call<T>('POST', url, payload ?? {}),
    patch: <T = any>(url: string, payload: unknown) => call<T>('PATCH', url, payload),
    delete: <T = any>(url: string) => call<T>('DELETE', url),
    call,
  };
}
export type Client = ReturnType<typeof client>;

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Named presets for fixtures, created through the API as a vendor would. */
export const factories = {
  async product(api: Client, overrides: Record<string, unknown> = {}) {
    const res = await api.post('/v1/products', { name: `Product ${unique()}`, ...overrides });
    if (res.status !== 201) throw new Error(`product: ${res.status} ${res.raw}`);
    return res.body;
  },
  async policy(api: Client, productId: string, preset: 'perpetual' | 'timed' | 'trial' | 'subscription' = 'timed', overrides: Record<string, unknown> = {}) {
    const res = await api.post('/v1/policies', { productId, name: `${preset} policy`, kind: preset, ...overrides });
    if (res.status !== 201) throw new Error(`policy: ${res.status} ${res.raw}`);
    return res.body;
  },
  async customer(api: Client, overrides: Record<string, unknown> = {}) {
    const id = unique();
    const res = await api.post('/v1/customers', { name: `Customer ${id}`, email: `billing-${id}@example.com`, ...overrides });
    if (res.status !== 201) throw new Error(`customer: ${res.status} ${res.raw}`);
    return res.body;
  },
  async license(api: Client, policyId: string, overrides: Record<string, unknown> = {}) {
    const res = await api.post('/v1/licenses', { policyId, ...overrides });
    if (res.status !== 201) throw new Error(`license: ${res.status} ${res.raw}`);
    return res.body;
  },
  /** A product, a timed policy, a customer and a license for it. */
  async world(api: Client, policyOverrides: Record<string, unknown> = {}, licenseOverrides: Record<string, unknown> = {}) {
    const product = await factories.product(api);
    const policy = await factories.policy(api, product.id, 'timed', policyOverrides);
    const customer = await factories.customer(api);
    const license = await factories.license(api, policy.id, { customerId: customer.id, ...licenseOverrides });
    return { product, policy, customer, license };
  },
  /** A user with a role (and organization for customer roles) and a signed-in session token. */
  async signedInUser(api: Client, app: App, role: string, customerId?: string) {
    const email = `${role}-${unique()}@example.com`;
    const password = 'correct horse battery';
    const res = await api.post('/v1/users', { email, password, role, ...(customerId ? { customerId } : {}) });
    if (res.status !== 201) throw new Error(`user: ${res.status} ${res.raw}`);
    const signIn = await client(app, undefined).post('/v1/auth/sign-in', { email, password });
    if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${signIn.raw}`);
    return { user: res.body, token: signIn.body.token as string, email, password };
  },
};
