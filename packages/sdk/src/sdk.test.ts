import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { client, factories, forEachDialect, startTestApp, type TestApp } from '../../server/src/testing/harness.js';
import { ManualClock } from '../../server/src/lib/clock.js';
import { generateLicenseKey } from '../../server/src/modules/licenses/license-key.js';
import {
  createActivationRequest,
  KeyhavenClient,
  OfflineGraceError,
  KeyhavenError,
  LicenseFileError,
  NetworkError,
  ReplayError,
  SignatureError,
  machineFingerprint,
  verifyLicenseFile,
  type FetchLike,
} from './index.js';

const DAY = 86_400_000;

/** The LicenseFileError code a verification throws, or 'OK' when it passes. */
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof LicenseFileError, String(error));
    return error.code;
  }
  return 'OK';
}

forEachDialect('@keyhaven/sdk against a running server', (dialect) => {
  let t: TestApp;
  let baseUrl: string;
  let publicKey: string;
  let pem: string;
  let tmp: string;

  before(async () => {
    // The server's clock is the real time so that the SDK's Date check (5 min) accepts its answers.
    t = await startTestApp(dialect, { clock: new ManualClock(new Date()) });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = address;
    publicKey = t.deps.signer.publicKeyRaw.toString('base64');
    pem = t.deps.signer.publicKeyPem;
    tmp = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-sdk-'));
  });
  after(async () => {
    await t?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const world = (policy: Record<string, unknown> = {}) => factories.world(client(t.app), { durationDays: 365, ...policy });

  test('getPublicKey and validate: VALID, signed, nonce echoed; unknown key is data, not an error', async () => {
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const keyInfo = await sdk.getPublicKey();
    assert.equal(keyInfo.publicKey, publicKey);
    assert.equal(keyInfo.keyId, sdk.keyId);
    const { license } = await world();
    const answer = await sdk.validate({ key: license.key });
    assert.equal(answer.valid, true);
    assert.equal(answer.code, 'VALID');
    assert.equal(answer.license?.id, license.id);
    // A PEM works as well as the raw key; a lower-case, dash-less key is the same key.
    const viaPem = new KeyhavenClient({ baseUrl: baseUrl + '/', publicKey: pem });
    assert.equal((await viaPem.validate({ key: license.key.toLowerCase().replace(/-/g, '') })).code, 'VALID');
    // A well-formed key nobody has: data, not an error.
    const nobody = await sdk.validate({ key: generateLicenseKey() });
    assert.equal(nobody.valid, false);
    assert.equal(nobody.code, 'NOT_FOUND');
    // A typo (last symbol changed, so the check symbol fails): a typed VALIDATION_FAILED.
    const typo = license.key.slice(0, -1) + (license.key.endsWith('0') ? '1' : '0');
    const refused = await sdk.validate({ key: typo }).catch((e: unknown) => e);
    assert.ok(refused instanceof KeyhavenError, String(refused));
    assert.equal(refused.code, 'VALIDATION_FAILED');
    assert.equal(refused.status, 400);
  });

  test('activate, heartbeat, validate with fingerprint, deactivate; TOO_MANY_MACHINES is a KeyhavenError', async () => {
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const { license } = await world({ maxMachines: 1 });
    const fingerprint = machineFingerprint({ salt: 'sdk-test' });
    const first = await sdk.activate({ key: license.key, fingerprint, name: 'build box', platform: process.platform });
    assert.equal(first.created, true);
    assert.equal(first.machine.fingerprint, fingerprint);
    const again = await sdk.activate({ key: license.key, fingerprint });
    assert.equal(again.created, false);
    const beat = await sdk.heartbeat({ key: license.key, fingerprint });
    assert.equal(beat.machine.fingerprint, fingerprint);
    assert.equal((await sdk.validate({ key: license.key, fingerprint })).code, 'VALID');

    const full = await sdk.activate({ key: license.key, fingerprint: 'another-machine' }).catch((e: unknown) => e);
    assert.ok(full instanceof KeyhavenError, `expected KeyhavenError, got ${String(full)}`);
    assert.equal(full.code, 'TOO_MANY_MACHINES');
    assert.equal(full.status, 422);

    await sdk.deactivate({ key: license.key, fingerprint });
    const after = await sdk.activate({ key: license.key, fingerprint: 'another-machine' });
    assert.equal(after.created, true);
    const unknownMachine = await sdk.heartbeat({ key: license.key, fingerprint }).catch((e: unknown) => e);
    assert.ok(unknownMachine instanceof KeyhavenError);
  });

  test('a tampered answer is refused with SignatureError before it is read', async () => {
    const { license } = await world();
    const tamper: FetchLike = async (url, init) => {
      const real = await fetch(url, init);
      const text = (await real.text()).replace('"valid":false', '"valid":true').replace('"NOT_FOUND"', '"VALID"').replace(/"ts":"[^"]+"/, '"ts":"2020-01-01T00:00:00.000Z"');
      return new Response(text, { status: real.status, headers: real.headers });
    };
    const sdk = new KeyhavenClient({ baseUrl, publicKey, fetch: tamper });
    await assert.rejects(sdk.validate({ key: license.key }), (e: unknown) => e instanceof SignatureError && e.reason === 'INVALID');

    const stripped: FetchLike = async (url, init) => {
      const real = await fetch(url, init);
      const headers = new Headers(real.headers);
      headers.delete('keyhaven-signature');
      return new Response(await real.arrayBuffer(), { status: real.status, headers });
    };
    await assert.rejects(new KeyhavenClient({ baseUrl, publicKey, fetch: stripped }).validate({ key: license.key }), (e: unknown) => e instanceof SignatureError && e.reason === 'MISSING');

    // Another server's key: the genuine answer does not verify.
    const other = (await import('node:crypto')).generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await assert.rejects(new KeyhavenClient({ baseUrl, publicKey: other }).validate({ key: license.key }), SignatureError);
  });

  test('a replayed answer (recorded earlier, served for a new nonce) is refused; so is a stale Date', async () => {
    const { license } = await world();
    let recorded: { body: ArrayBuffer; status: number; headers: Headers } | undefined;
    const replaying: FetchLike = async (url, init) => {
      if (recorded) return new Response(recorded.body.slice(0), { status: recorded.status, headers: recorded.headers });
      const real = await fetch(url, init);
      recorded = { body: await real.arrayBuffer(), status: real.status, headers: new Headers(real.headers) };
      return new Response(recorded.body.slice(0), { status: recorded.status, headers: recorded.headers });
    };
    const sdk = new KeyhavenClient({ baseUrl, publicKey, fetch: replaying });
    assert.equal((await sdk.validate({ key: license.key })).code, 'VALID');
    await assert.rejects(sdk.validate({ key: license.key }), (e: unknown) => e instanceof ReplayError && e.reason === 'NONCE_MISMATCH');

    // The same genuine answer seen from a clock an hour later: refused as stale.
    const later = new KeyhavenClient({ baseUrl, publicKey, clock: () => new Date(Date.now() + 3_600_000) });
    await assert.rejects(later.validate({ key: license.key }), (e: unknown) => e instanceof ReplayError && e.reason === 'STALE');
    const tolerant = new KeyhavenClient({ baseUrl, publicKey, clock: () => new Date(Date.now() + 3_600_000), maxClockSkewMs: 2 * 3_600_000 });
    assert.equal((await tolerant.validate({ key: license.key })).code, 'VALID');
  });

  test('an unreachable server is a NetworkError', async () => {
    const sdk = new KeyhavenClient({ baseUrl: 'http://127.0.0.1:1', publicKey, timeoutMs: 2_000 });
    await assert.rejects(sdk.validate({ key: 'X' }), NetworkError);
  });

  test('recordUsage: spends credits; USAGE_EXHAUSTED is a KeyhavenError with details', async () => {
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const { license } = await world({ meters: [{ feature: 'render', limit: 5, period: 'never' }] });
    const spent = await sdk.recordUsage({ key: license.key, feature: 'render', amount: 3 });
    assert.equal(spent.used, 3);
    assert.equal(spent.limit, 5);
    assert.equal(spent.remaining, 2);
    const exhausted = await sdk.recordUsage({ key: license.key, feature: 'render', amount: 3 }).catch((e: unknown) => e);
    assert.ok(exhausted instanceof KeyhavenError, String(exhausted));
    assert.equal(exhausted.code, 'USAGE_EXHAUSTED');
    assert.equal(exhausted.status, 422);
  });

  test('license file round trip: bound and encrypted checkout verifies offline; tampering, other machine, expiry, rollback are refused', async () => {
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const { license } = await world();
    const fingerprint = machineFingerprint({ salt: 'file-test' });
    await sdk.activate({ key: license.key, fingerprint });
    const { file, payload: checked } = await sdk.checkoutLicenseFile({ key: license.key, fingerprint, ttlDays: 7 });
    assert.match(file, /-----BEGIN KEYHAVEN LICENSE FILE-----/);
    assert.equal(checked.fingerprint, fingerprint);
    const envelope = JSON.parse(Buffer.from(file.split('\n').slice(1, -2).join(''), 'base64').toString()) as { enc: string; payload: string; sig: string };
    assert.equal(envelope.enc, 'aes-256-gcm');

    // Surrounding text (an e-mail) and CRLF line ends are fine.
    const pasted = `Hello,\r\nhere is your license:\r\n\r\n${file.replace(/\n/g, '\r\n')}\r\nRegards`;
    const payload = verifyLicenseFile(pasted, { publicKey, fingerprint, licenseKey: license.key });
    assert.equal(payload.license.id, license.id);
    assert.equal(payload.fingerprint, fingerprint);
    assert.ok(Date.parse(payload.expiresAt) <= Date.now() + 7 * DAY + 60_000);


    // Tampered: one character of the payload changed.
    const tamperedEnvelope = { ...envelope, payload: (envelope.payload[0] === 'A' ? 'B' : 'A') + envelope.payload.slice(1) };
    const tampered = `-----BEGIN KEYHAVEN LICENSE FILE-----\n${Buffer.from(JSON.stringify(tamperedEnvelope)).toString('base64')}\n-----END KEYHAVEN LICENSE FILE-----\n`;
    assert.equal(code(() => verifyLicenseFile(tampered, { publicKey, fingerprint, licenseKey: license.key })), 'SIGNATURE_INVALID');
    assert.equal(code(() => verifyLicenseFile('no license here', { publicKey })), 'MALFORMED');
    assert.equal(code(() => verifyLicenseFile(file, { publicKey })), 'KEY_REQUIRED');

    // Another machine: the encrypted file cannot even be read there.
    assert.equal(code(() => verifyLicenseFile(file, { publicKey, fingerprint: 'other-machine', licenseKey: license.key })), 'WRONG_MACHINE');

    // An unencrypted file bound to this machine: readable anywhere, refused on another machine.
    const plain = await sdk.checkoutLicenseFile({ key: license.key, fingerprint, encrypt: false });
    assert.equal(verifyLicenseFile(plain.file, { publicKey, fingerprint }).fingerprint, fingerprint);
    assert.equal(code(() => verifyLicenseFile(plain.file, { publicKey, fingerprint: 'other-machine' })), 'WRONG_MACHINE');
    assert.equal(code(() => verifyLicenseFile(plain.file, { publicKey })), 'WRONG_MACHINE');

    // Expiry and issuedAt.
    const opts = { publicKey, fingerprint, licenseKey: license.key };
    assert.equal(code(() => verifyLicenseFile(file, { ...opts, now: new Date(Date.now() + 8 * DAY) })), 'EXPIRED');
    assert.equal(code(() => verifyLicenseFile(file, { ...opts, now: new Date(Date.now() - DAY) })), 'NOT_YET_VALID');

    // Clock rollback: the store remembers the latest time seen.
    const clockStore = path.join(tmp, 'nested', 'clock.json');
    assert.equal(code(() => verifyLicenseFile(file, { ...opts, clockStore, now: new Date(Date.now() + 3 * DAY) })), 'OK');
    assert.ok(Date.parse((JSON.parse(readFileSync(clockStore, 'utf8')) as { latest: string }).latest) >= Date.now() + 3 * DAY - 60_000);
    assert.equal(code(() => verifyLicenseFile(file, { ...opts, clockStore, now: new Date(Date.now() + 3 * DAY - 60_000) })), 'OK'); // within tolerance
    assert.equal(code(() => verifyLicenseFile(file, { ...opts, clockStore, now: new Date(Date.now() + DAY) })), 'CLOCK_ROLLBACK');
    assert.equal(code(() => verifyLicenseFile(file, { ...opts, clockStore, now: new Date(Date.now() + 4 * DAY) })), 'OK');
  });

  test('a replayed license file (a whole earlier answer, for a new nonce) is refused by checkoutLicenseFile', async () => {
    const { license } = await world();
    let recorded: { body: ArrayBuffer; status: number; headers: Headers } | undefined;
    const replaying: FetchLike = async (url, init) => {
      if (!recorded) {
        const real = await fetch(url, init);
        recorded = { body: await real.arrayBuffer(), status: real.status, headers: new Headers(real.headers) };
      }
      return new Response(recorded.body.slice(0), { status: recorded.status, headers: recorded.headers });
    };
    const sdk = new KeyhavenClient({ baseUrl, publicKey, fetch: replaying });
    const first = await sdk.checkoutLicenseFile({ key: license.key });
    assert.equal(first.payload.fingerprint, null);
    // The answer's signature covers the nonce of the request it answered, so it no longer verifies.
    await assert.rejects(sdk.checkoutLicenseFile({ key: license.key }), (e: unknown) => e instanceof SignatureError && e.reason === 'INVALID');
  });

  test('an unbound file is refused when the app names its machine, unless the signed file says the license allows unbound files', async () => {
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    // A license with a seat limit hands out bound files only.
    const { license: limited } = await world({ maxMachines: 3 });
    const refused = await sdk.checkoutLicenseFile({ key: limited.key }).catch((e: unknown) => e);
    assert.ok(refused instanceof KeyhavenError, String(refused));
    assert.equal(refused.code, 'FINGERPRINT_REQUIRED');
    // An unbound file such a license got from an older server (signed, without unboundAllowed), or one
    // whose payload says false, is refused on a machine that names itself.
    const { license: unlimited } = await world();
    const { file, payload } = await sdk.checkoutLicenseFile({ key: unlimited.key });
    assert.deepEqual([payload.fingerprint, payload.unboundAllowed], [null, true]);
    assert.equal(code(() => verifyLicenseFile(file, { publicKey, fingerprint: 'any-machine' })), 'OK');
    const resign = (changes: Record<string, unknown>) => {
      const { unboundAllowed: _drop, ...legacy } = { ...payload, license: { ...payload.license, id: limited.id, maxMachines: 3 }, maxMachines: 3 };
      const body = Buffer.from(JSON.stringify({ ...legacy, ...changes })).toString('base64');
      const envelope = { v: 1, alg: 'ed25519', keyId: t.deps.signer.keyId, enc: 'none', payload: body, sig: t.deps.signer.sign(body) };
      return `-----BEGIN KEYHAVEN LICENSE FILE-----\n${Buffer.from(JSON.stringify(envelope)).toString('base64')}\n-----END KEYHAVEN LICENSE FILE-----\n`;
    };
    for (const forged of [resign({}), resign({ unboundAllowed: false })]) {
      assert.equal(code(() => verifyLicenseFile(forged, { publicKey, fingerprint: 'any-machine' })), 'UNBOUND');
      assert.equal(code(() => verifyLicenseFile(forged, { publicKey })), 'OK', 'an app that names no machine decides for itself');
    }
    assert.equal(code(() => verifyLicenseFile(resign({ unboundAllowed: 'yes' }), { publicKey, fingerprint: 'any-machine' })), 'MALFORMED');
  });

  test('a checked-out file holds the seat: deactivate is refused until the app checks the file in', async () => {
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const { license } = await world({ maxMachines: 1 });
    const fingerprint = machineFingerprint({ salt: 'checkin' });
    await sdk.activate({ key: license.key, fingerprint });
    const { payload } = await sdk.checkoutLicenseFile({ key: license.key, fingerprint, ttlDays: 3 });
    const held = await sdk.deactivate({ key: license.key, fingerprint }).catch((e: unknown) => e);
    assert.ok(held instanceof KeyhavenError, String(held));
    assert.equal(held.code, 'SEAT_BORROWED');
    assert.equal(held.details?.borrowedUntil, payload.expiresAt);
    const { machine } = await sdk.checkinLicenseFile({ key: license.key, fingerprint });
    assert.equal(machine.borrowedUntil, null);
    await sdk.deactivate({ key: license.key, fingerprint });
    assert.equal((await sdk.activate({ key: license.key, fingerprint: 'next-machine' })).created, true);
  });

  test('offline activation: the app writes a request, an operator submits it, the bound file works offline on that machine only', async () => {
    const { license } = await world({ maxMachines: 1, offlineMaxDays: 90 });
    const fingerprint = machineFingerprint({ salt: 'air-gapped' });
    const request = createActivationRequest({ key: license.key, fingerprint, name: 'Lab PC' });
    assert.match(request, /^-----BEGIN KEYHAVEN ACTIVATION REQUEST-----\n[A-Za-z0-9+/=\n]+-----END KEYHAVEN ACTIVATION REQUEST-----\n$/);
    // The operator pastes it (here with the mail around it) into the API on a connected machine.
    const submitted = await client(t.app).post('/v1/machines/offline-activations', { request: `From the lab:\n\n${request}\nThanks`, ttlDays: 90 });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const file = submitted.raw;
    const payload = verifyLicenseFile(file, { publicKey, fingerprint, licenseKey: license.key });
    assert.equal(payload.license.id, license.id);
    assert.equal(payload.fingerprint, fingerprint);
    assert.ok(Date.parse(payload.expiresAt) > Date.now() + 89 * DAY);
    assert.throws(() => verifyLicenseFile(file, { publicKey, fingerprint: 'another-machine', licenseKey: license.key }), (e: unknown) => e instanceof LicenseFileError && e.code === 'WRONG_MACHINE');
    // The seat is taken: the one-seat license refuses a second machine.
    const second = await client(t.app).post('/v1/machines/offline-activations', { request: createActivationRequest({ key: license.key, fingerprint: 'second' }) });
    assert.equal(second.status, 422);
    assert.equal(second.body.error.code, 'TOO_MANY_MACHINES');
    assert.throws(() => createActivationRequest({ key: license.key, fingerprint: '' }), TypeError);
  });

  test('offline grace: a kept validation stands in while the server is unreachable, within the grace period only', async () => {
    const { license } = await world();
    const fingerprint = machineFingerprint({ salt: 'grace-test' });
    const cache = { path: path.join(tmp, `grace-${dialect}`, 'validation.json'), offlineGraceMs: 3 * DAY };
    const online = new KeyhavenClient({ baseUrl, publicKey });
    await online.activate({ key: license.key, fingerprint });
    const first = await online.validateWithOfflineGrace({ key: license.key, fingerprint }, cache);
    assert.equal(first.source, 'online');
    assert.equal(first.valid, true);
    assert.ok(existsSync(cache.path));

    let clockOffset = 0;
    const down: FetchLike = async () => {
      throw new Error('connect ECONNREFUSED');
    };
    const offline = new KeyhavenClient({ baseUrl, publicKey, fetch: down, clock: () => new Date(Date.now() + clockOffset) });
    const grace = (fp = fingerprint) => offline.validateWithOfflineGrace({ key: license.key, fingerprint: fp }, cache);
    const reason = async (fp?: string): Promise<string> => {
      try {
        const result = await grace(fp);
        assert.equal(result.source, 'cache');
        assert.equal(result.valid, true);
        return 'OK';
      } catch (error) {
        assert.ok(error instanceof OfflineGraceError, String(error));
        assert.ok(error instanceof NetworkError);
        return error.reason;
      }
    };

    clockOffset = 2 * DAY;
    const cached = await grace();
    assert.equal(cached.license?.id, license.id);
    assert.equal(cached.code, 'VALID');
    assert.ok(Math.abs(Date.parse(cached.offlineUntil) - (Date.parse(first.validatedAt) + 3 * DAY)) < 1000);
    // Another machine (a copied cache file): the signed scope names this machine's fingerprint, so it is refused.
    assert.equal(await reason('another-machine'), 'SCOPE_MISMATCH');
    // The clock set back behind a time already seen (2 days on): refused; forward again: fine.
    clockOffset = DAY;
    assert.equal(await reason(), 'CLOCK_ROLLBACK');
    clockOffset = 2 * DAY + 60_000;
    assert.equal(await reason(), 'OK');
    // After the grace period: refused.
    clockOffset = 3 * DAY + 60_000;
    assert.equal(await reason(), 'GRACE_EXPIRED');

    // An edited cache (a later date to stretch the grace) breaks the signature.
    const kept = JSON.parse(readFileSync(cache.path, 'utf8')) as { date: string };
    writeFileSync(cache.path, JSON.stringify({ ...kept, date: new Date(Date.now() + 3 * DAY).toUTCString() }));
    clockOffset = 0;
    assert.equal(await reason(), 'INVALID_CACHE');

    // Online again; then the license is suspended: the invalid answer forgets the kept one.
    await online.validateWithOfflineGrace({ key: license.key, fingerprint }, cache);
    assert.equal(await reason(), 'OK');
    assert.equal((await client(t.app).post(`/v1/licenses/${license.id}/actions/suspend`, {})).status, 200);
    const suspended = await online.validateWithOfflineGrace({ key: license.key, fingerprint }, cache);
    assert.equal(suspended.valid, false);
    assert.equal(suspended.code, 'SUSPENDED');
    assert.equal(existsSync(cache.path), false);
    assert.equal(await reason(), 'NO_CACHE');
  });

  test('machineFingerprint is stable, salted, and hex', () => {
    const a = machineFingerprint();
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(machineFingerprint(), a);
    assert.notEqual(machineFingerprint({ salt: 'other-app' }), a);
    assert.equal(machineFingerprint({ rawId: 'x', salt: 's' }), machineFingerprint({ rawId: 'x', salt: 's' }));
    assert.notEqual(machineFingerprint({ rawId: 'x' }), machineFingerprint({ rawId: 'y' }));
  });
});
