import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../../server/src/lib/clock.js';
import { client, factories, forEachDialect, startTestApp, type TestApp } from '../../server/src/testing/harness.js';

const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/cli-app/app.mjs');

/** Runs the example app; resolves when it printed a line matching `ready` (or exited). */
function startApp(env: NodeJS.ProcessEnv, args: string[], ready: RegExp, input?: string, cwd?: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [APP, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
  if (input !== undefined) child.stdin!.end(input);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example app did not get ready: ${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (ready.test(out)) resolve({ child, output: () => out });
      else reject(new Error(`the example app exited with ${code}: ${out}`));
    });
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code))));

forEachDialect('the example app (real processes)', (dialect) => {
  let t: TestApp;
  let env: NodeJS.ProcessEnv;
  let licenseId: string;
  let key: string;
  let dir: string;

  before(async () => {
    // The server's clock is real time that the test can move forward, so a lapsed lease needs no waiting.
    t = await startTestApp(dialect, { clock: new ManualClock(new Date()) });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const api = client(t.app);
    const { license } = await factories.world(api, { floating: true, heartbeatSeconds: 30, maxMachines: 1 });
    licenseId = license.id;
    key = license.key;
    dir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-example-'));
    const publicKey = (await api.get('/v1/public-key')).body.publicKey;
    env = { KEYHAVEN_URL: base, KEYHAVEN_PUBLIC_KEY: publicKey, LICENSE_KEY: key, DATA_DIR: path.join(dir, 'data'), LICENSE_FILE: path.join(dir, 'license.lic'), CLOCK_STORE: path.join(dir, 'clock.json'), CACHE_FILE: path.join(dir, 'validation.json'), REQUEST_FILE: path.join(dir, 'request.txt') };
  });
  after(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('takes the seat, loses it after SIGKILL once the lease lapses, gets it back, releases on SIGTERM', async () => {
    const first = await startApp({ ...env, FINGERPRINT: 'workstation-1' }, ['float'], /SEAT mach_/);
    const api = client(t.app);
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.activeMachines, 1);
    const anon = client(t.app, undefined);
    assert.equal((await anon.post('/v1/machines/activate', { key, fingerprint: 'someone-else' })).body.error.code, 'TOO_MANY_MACHINES');

    first.child.kill('SIGKILL');
    await exited(first.child);
    // The dead process cannot release its seat: it stays taken until the lease lapses (30 s + 60 s tolerance).
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.activeMachines, 1);
    t.clock.advance(91_000);
    assert.equal((await anon.post('/v1/licenses/validate', { key, fingerprint: 'workstation-1' })).body.code, 'HEARTBEAT_DEAD');
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.activeMachines, 0, 'the seat returned');

    const second = await startApp({ ...env, FINGERPRINT: 'workstation-1' }, ['float'], /SEAT mach_/);
    assert.equal((await anon.post('/v1/licenses/validate', { key, fingerprint: 'workstation-1' })).body.code, 'VALID');
    second.child.kill('SIGTERM');
    await exited(second.child);
    assert.equal((await api.get(`/v1/licenses/${licenseId}`)).body.activeMachines, 0, 'a clean stop releases the seat');
  });

  test('online validation, then offline from a license file bound to the machine', async () => {
    const validate = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['validate'], /VALID|INVALID/);
    await exited(validate.child);
    assert.match(validate.output(), /INVALID NO_MACHINE/);
    const activate = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['activate'], /ACTIVATED|ALREADY ACTIVE|Refused/);
    assert.equal(await exited(activate.child), 0, activate.output());
    assert.match(activate.output(), /^ACTIVATED mach_\w+ \(seat 1 of 1\)/);
    const again = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['activate'], /ACTIVATED|ALREADY ACTIVE|Refused/);
    assert.equal(await exited(again.child), 0);
    assert.match(again.output(), /^ALREADY ACTIVE mach_/);
    const valid = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['validate'], /VALID|INVALID/);
    assert.equal(await exited(valid.child), 0, valid.output());
    assert.match(valid.output(), /^VALID VALID/);
    const checkout = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['checkout'], /Saved|Refused/);
    await exited(checkout.child);
    assert.match(checkout.output(), /Saved .*license\.lic/);
    // Offline: the server is not asked (a wrong URL proves it), the file is verified locally.
    const offline = await startApp({ ...env, KEYHAVEN_URL: 'http://127.0.0.1:9', FINGERPRINT: 'laptop-7' }, ['offline'], /OFFLINE OK|refused/);
    assert.equal(await exited(offline.child), 0, offline.output());
    const elsewhere = await startApp({ ...env, FINGERPRINT: 'another-pc' }, ['offline'], /OFFLINE OK|refused/);
    assert.equal(await exited(elsewhere.child), 1);
    assert.match(elsewhere.output(), /WRONG_MACHINE/);

    // While the file is out the seat is borrowed: deactivation is refused until the app checks the file in
    // (it deletes the file first: the server cannot call it back).
    assert.equal((await client(t.app, undefined).post('/v1/machines/deactivate', { key, fingerprint: 'laptop-7' })).body.error.code, 'SEAT_BORROWED');
    const checkin = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['checkin'], /Checked in|Refused/);
    assert.equal(await exited(checkin.child), 0, checkin.output());
    assert.equal(existsSync(env.LICENSE_FILE!), false, 'the file is deleted before the seat is given back');

    // The seat goes back; the single seat is then free for another machine.
    const deactivate = await startApp({ ...env, FINGERPRINT: 'laptop-7' }, ['deactivate'], /DEACTIVATED|Refused/);
    assert.equal(await exited(deactivate.child), 0, deactivate.output());
    assert.equal((await client(t.app).get(`/v1/licenses/${licenseId}`)).body.activeMachines, 0);
    const full = await startApp({ ...env, FINGERPRINT: 'another-pc' }, ['activate'], /ACTIVATED|ALREADY ACTIVE|Refused/);
    assert.equal(await exited(full.child), 0, full.output());
    const freed = await startApp({ ...env, FINGERPRINT: 'another-pc' }, ['deactivate'], /DEACTIVATED|Refused/);
    assert.equal(await exited(freed.child), 0, freed.output());
  });

  test('the app keeps its files in its data directory, never in the directory it is run from', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-example-cwd-'));
    const dataDir = path.join(dir, 'own-data');
    const own = { KEYHAVEN_URL: env.KEYHAVEN_URL, KEYHAVEN_PUBLIC_KEY: env.KEYHAVEN_PUBLIC_KEY, LICENSE_KEY: key, DATA_DIR: dataDir, FINGERPRINT: 'desk-9' };
    try {
      const run = async (command: string) => {
        const app = await startApp(own, [command], /ACTIVATED|ALREADY ACTIVE|VALID|Saved|Wrote|Checked in|DEACTIVATED|Refused|not usable/, undefined, cwd);
        assert.equal(await exited(app.child), 0, `${command}: ${app.output()}`);
      };
      for (const command of ['activate', 'validate', 'checkout', 'request']) await run(command);
      for (const f of ['license.lic', 'validation.json', 'activation-request.txt']) assert.ok(existsSync(path.join(dataDir, f)), f);
      // The file holds the seat until it comes back: check it in, then give the seat back.
      for (const command of ['checkin', 'deactivate']) await run(command);
      assert.equal(existsSync(path.join(dataDir, 'license.lic')), false, 'checkin deletes the file');
      assert.deepEqual(readdirSync(cwd), [], 'nothing written where it was run');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('no network at all: request file out, license file pasted in, works offline; online validation keeps a grace period', async () => {
    // The one seat is free again (the tests before gave it back with the app's deactivate).
    assert.equal((await client(t.app).get(`/v1/licenses/${licenseId}`)).body.activeMachines, 0);
    const airGapped = { ...env, KEYHAVEN_URL: 'http://127.0.0.1:9', FINGERPRINT: 'air-gapped-3', LICENSE_FILE: path.join(dir, 'air.lic') };
    const request = await startApp(airGapped, ['request'], /Wrote|Refused/);
    assert.equal(await exited(request.child), 0, request.output());
    // The operator submits the request on a connected machine and mails the license file back.
    const submitted = await client(t.app).post('/v1/machines/offline-activations', { request: readFileSync(env.REQUEST_FILE!, 'utf8') });
    assert.equal(submitted.status, 201, submitted.raw);
    const install = await startApp(airGapped, ['install'], /Installed|refused/, `Here is your license:\n\n${submitted.raw}\nBest regards`);
    assert.equal(await exited(install.child), 0, install.output());
    const offline = await startApp(airGapped, ['offline'], /OFFLINE OK|refused/);
    assert.equal(await exited(offline.child), 0, offline.output());
    // Pasting a file meant for another machine is refused.
    const wrong = await startApp({ ...airGapped, FINGERPRINT: 'other' }, ['install'], /Installed|refused/, submitted.raw);
    assert.equal(await exited(wrong.child), 1);
    assert.match(wrong.output(), /WRONG_MACHINE/);

    // Online validation keeps the good answer; with the server unreachable, the app still runs on it.
    const online = await startApp({ ...env, FINGERPRINT: 'air-gapped-3' }, ['validate'], /VALID|INVALID|Refused/);
    assert.equal(await exited(online.child), 0, online.output());
    const cut = await startApp({ ...env, KEYHAVEN_URL: 'http://127.0.0.1:9', FINGERPRINT: 'air-gapped-3' }, ['validate'], /VALID|INVALID|not usable/);
    assert.equal(await exited(cut.child), 0, cut.output());
    assert.match(cut.output(), /VALID VALID: .*\(offline: last validated/);
    // The kept answer covers that machine and that request only: another machine or product is refused.
    for (const other of [{ FINGERPRINT: 'another-pc' }, { FINGERPRINT: 'air-gapped-3', PRODUCT: 'another-product' }]) {
      const refused = await startApp({ ...env, KEYHAVEN_URL: 'http://127.0.0.1:9', ...other }, ['validate'], /VALID|INVALID|not usable/);
      assert.equal(await exited(refused.child), 1, refused.output());
      assert.match(refused.output(), /SCOPE_MISMATCH/);
    }
    const noGrace = await startApp({ ...env, KEYHAVEN_URL: 'http://127.0.0.1:9', FINGERPRINT: 'air-gapped-3', OFFLINE_GRACE_DAYS: '0' }, ['validate'], /VALID|INVALID|not usable/);
    assert.equal(await exited(noGrace.child), 1);
    assert.match(noGrace.output(), /GRACE_EXPIRED/);
  });
});
