import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { openDatabase } from './db/database.js';
import { createTestDatabase, forEachDialect, type TestDatabase } from './testing/harness.js';
import { CLI, freePort, run, runJson, serve, stop } from './testing/processes.js';

forEachDialect('the keyhaven command', (dialect) => {
  let dataDir: string;
  let testDb: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let base: string;

  before(async () => {
    assert.ok(existsSync(CLI), 'build first: npm run build (npm test does)');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-cli-'));
    testDb = await createTestDatabase(dialect);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      KEYHAVEN_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...(testDb.config.dialect === 'postgres' ? { DATABASE_URL: testDb.config.url } : {}),
    };
  });
  after(async () => {
    await testDb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('first start prints how to sign in; a graceful stop loses no validation log entry', async () => {
    const { child, banner } = await serve(env);
    try {
      assert.match(banner, new RegExp(`Keyhaven is running at http://localhost:${env.PORT}`));
      assert.match(banner, new RegExp(`open http://localhost:${env.PORT} in a browser`));
      // The banner sends people to the web app's Change password page, not to curl.
      assert.doesNotMatch(banner, /curl/);
      assert.match(banner, /Change password/);
      assert.match(banner, /keyhaven admin set-password .*staff and customer users/);
      const email = /e-mail:\s+(\S+)/.exec(banner)?.[1];
      const password = /password:\s+(\S+)/.exec(banner)?.[1];
      assert.ok(email && password, banner);
      const post = async (url: string, body: unknown, token?: string) => {
        const res = await fetch(base + url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const signIn = await post('/v1/auth/sign-in', { email, password });
      assert.equal(signIn.status, 200);
      const token = signIn.body.token;
      const product = await post('/v1/products', { name: 'Served Product' }, token);
      const policy = await post('/v1/policies', { productId: product.body.id, name: 'Std', kind: 'timed' }, token);
      const license = await post('/v1/licenses', { policyId: policy.body.id }, token);
      assert.equal(license.status, 201);
      for (let i = 0; i < 3; i++) {
        // With a fingerprint, validation checks the machine: activate it first.
        assert.equal((await post('/v1/machines/activate', { key: license.body.key, fingerprint: `fp-${i}` })).status, 201);
        const v = await post('/v1/licenses/validate', { key: license.body.key, fingerprint: `fp-${i}` });
        assert.equal(v.body.code, 'VALID');
      }
      // Stop at once: the buffered log entries are written during the graceful stop.
      assert.equal(await stop(child), 0);
      const config = testDb.config.dialect === 'postgres' ? testDb.config : { dialect: 'sqlite' as const, file: path.join(dataDir, 'keyhaven.sqlite') };
      const db = openDatabase(config);
      const rows = await db.db.selectFrom('validations').selectAll().where('license_id', '=', license.body.id).execute();
      await db.close();
      assert.equal(rows.length, 3);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('CLI: migrate, admin, product, policy, customer, license, token; then the API accepts the token', async () => {
    assert.match(run(env, 'migrate').stdout, /up to date/);
    const admin = runJson(env, 'admin', 'create', '--email', 'ops@example.com', '--password', 'a long password', '--role', 'admin');
    assert.equal(admin.role, 'admin');
    assert.equal(run(env, 'admin', 'create', '--email', 'ops@example.com', '--password', 'a long password').code, 1, 'duplicate e-mail');
    const product = runJson(env, 'product', 'create', '--name', 'CLI Product');
    const policy = runJson(env, 'policy', 'create', '--product', product.id, '--name', 'Seats', '--kind', 'subscription', '--max-machines', '5', '--features', 'pdf,api', '--offline-max-days', '14');
    // A subscription's default term is a calendar year (termMonths 12), not 365 days.
    assert.deepEqual([policy.maxMachines, policy.features, policy.durationDays, policy.termMonths, policy.offlineMaxDays], [5, ['pdf', 'api'], null, 12, 14]);
    // The CLI skips the HTTP schemas; the policy's own rules still bound the offline file lifetime.
    const tooLong = run(env, 'policy', 'create', '--product', product.id, '--name', 'x', '--kind', 'timed', '--offline-max-days', '400');
    assert.equal(tooLong.code, 1);
    assert.match(tooLong.stderr, /offlineMaxDays must be a whole number of days from 1 to 365/);
    const customer = runJson(env, 'customer', 'create', '--name', 'Acme', '--email', 'acme@example.com');
    const license = runJson(env, 'license', 'create', '--policy', policy.id, '--customer', customer.id, '--domains', 'acme.example,*.acme.example');
    assert.match(license.key, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){5}$/);
    const shown = runJson(env, 'license', 'show', license.key.toLowerCase());
    assert.deepEqual([shown.id, shown.status, shown.domains], [license.id, 'active', ['acme.example', '*.acme.example']]);
    assert.equal(runJson(env, 'license', 'show', license.id).id, license.id);
    const token = runJson(env, 'token', 'create', '--name', 'automation', '--role', 'read-only');
    const bad = run(env, 'policy', 'create', '--product', product.id, '--name', 'x', '--kind', 'forever');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--kind must be one of/);

    const { child, banner } = await serve(env);
    try {
      assert.doesNotMatch(banner, /First start/);
      assert.match(banner, /Sign in:/);
      const res = await fetch(`${base}/v1/licenses/${license.id}`, { headers: { authorization: `Bearer ${token.token}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as any).customerId, customer.id);
      const health = await fetch(`${base}/health`);
      assert.equal(((await health.json()) as any).database, dialect);

      // `admin set-password` works for a customer user too (the way out without SMTP).
      const post = async (url: string, body: unknown, bearer?: string) => {
        const answer = await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });
        return { status: answer.status, body: (await answer.json()) as any };
      };
      const session = (await post('/v1/auth/sign-in', { email: 'ops@example.com', password: 'a long password' })).body.token;
      const member = await post('/v1/users', { email: 'member@acme.example', role: 'customer-member', customerId: customer.id }, session);
      assert.equal(member.status, 201);
      assert.equal(run(env, 'admin', 'set-password', '--email', 'member@acme.example', '--password', 'short').code, 1);
      assert.equal(run(env, 'admin', 'set-password', '--email', 'member@acme.example', '--password', 'set from the command line').code, 0);
      const signedIn = await post('/v1/auth/sign-in', { email: 'member@acme.example', password: 'set from the command line' });
      assert.equal(signedIn.status, 200);
      assert.equal(signedIn.body.user.kind, 'customer');
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test('invalid configuration: a clear message and a non-zero exit', () => {
    const res = run({ ...env, PORT: 'eighty', KEYHAVEN_MASTER_KEY: 'too-short' }, 'serve');
    assert.equal(res.code, 2);
    assert.match(res.stderr, /PORT must be a whole number/);
    assert.match(res.stderr, /KEYHAVEN_MASTER_KEY must be 32 bytes/);
  });
});

test('without KEYHAVEN_DATA_DIR the CLI never makes a new database silently: commands that read refuse, commands that create warn', () => {
  assert.ok(existsSync(CLI), 'build first: npm run build (npm test does)');
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-cli-cwd-'));
  const database = path.join(cwd, 'data', 'keyhaven.sqlite');
  const cli = (...args: string[]) => {
    const res = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 60_000 });
    return { code: res.status, stdout: res.stdout, stderr: res.stderr };
  };
  try {
    const reset = cli('admin', 'set-password', '--email', 'ops@example.com', '--password', 'a long password');
    assert.equal(reset.code, 2, reset.stderr);
    assert.ok(reset.stderr.includes(`No Keyhaven database at ${database}`), reset.stderr);
    assert.match(reset.stderr, /KEYHAVEN_DATA_DIR is not set/);
    assert.equal(existsSync(database), false, 'no database was made');
    const show = cli('license', 'show', 'lic_01J00000000000000000000000');
    assert.equal(show.code, 2, show.stderr);
    assert.equal(existsSync(database), false);

    const created = cli('product', 'create', '--name', 'First');
    assert.equal(created.code, 0, created.stderr);
    assert.ok(created.stderr.includes(`Warning: no Keyhaven database at ${database}; creating a new, empty one.`), created.stderr);
    assert.ok(existsSync(database));
    const second = cli('product', 'create', '--name', 'Second');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, '', 'no warning once the database exists');

    const unknown = cli('admin', 'set-password', '--email', 'nobody@example.com', '--password', 'a long password');
    assert.equal(unknown.code, 1);
    assert.ok(unknown.stderr.includes(`No user has the e-mail nobody@example.com in the database ${database}`), unknown.stderr);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
