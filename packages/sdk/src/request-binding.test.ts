import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ManualClock } from '../../server/src/lib/clock.js';
import { client, factories, forEachDialect, startTestApp, type TestApp } from '../../server/src/testing/harness.js';
import { KeyhavenClient, KeyhavenError, OfflineGraceError, ReplayError, SignatureError, type FetchLike } from './index.js';

const DAY = 86_400_000;

/** A recorded HTTP answer, served again later (what an attacker between app and server can do). */
interface Recorded {
  status: number;
  headers: Headers;
  body: ArrayBuffer;
}
const record = async (response: Response): Promise<Recorded> => ({ status: response.status, headers: new Headers(response.headers), body: await response.arrayBuffer() });
const replay = (answer: Recorded, status = answer.status): Response => new Response(status === 204 ? null : answer.body.slice(0), { status, headers: answer.headers });
const down: FetchLike = async () => {
  throw new Error('connect ECONNREFUSED');
};

/**
 * Issue 12, items 2 and 3, from the attacker's side: the SDK talks to a real server through a fetch the
 * attacker controls (a proxy, a hosts-file redirect), or works offline from a cache file the user can edit.
 */
forEachDialect('@keyhaven/sdk: answers bound to their request; offline grace that cannot be forged', (dialect) => {
  let t: TestApp;
  let baseUrl: string;
  let publicKey: string;
  let tmp: string;

  before(async () => {
    t = await startTestApp(dialect, { clock: new ManualClock(new Date()) });
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    publicKey = t.deps.signer.publicKeyRaw.toString('base64');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-binding-'));
  });
  after(async () => {
    await t?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const api = () => client(t.app);
  const world = (policy: Record<string, unknown> = {}, license: Record<string, unknown> = {}) => factories.world(api(), { durationDays: 365, ...policy }, license);
  const cachePath = (name: string) => path.join(tmp, `${name}-${dialect}`, 'validation.json');

  test('item 2: validate without fingerprint or product (a proxy strips them) is refused online and never becomes the offline cache', async () => {
    // The license needs no machine, so the narrow request the attacker sends answers VALID.
    const { license, product } = await world();
    const app = { key: license.key, fingerprint: 'victim-app-machine', product: product.code };
    const stripping: FetchLike = async (url, init) => {
      const body = JSON.parse(init.body ?? '{}') as Record<string, unknown>;
      return fetch(url, { ...init, body: JSON.stringify({ key: body.key, nonce: body.nonce }) });
    };
    const cache = { path: cachePath('stripped'), offlineGraceMs: 30 * DAY };
    const proxied = new KeyhavenClient({ baseUrl, publicKey, fetch: stripping });
    await assert.rejects(proxied.validateWithOfflineGrace(app, cache), (e: unknown) => e instanceof SignatureError && e.reason === 'SCOPE_MISMATCH');
    await assert.rejects(proxied.validate(app), (e: unknown) => e instanceof SignatureError && e.reason === 'SCOPE_MISMATCH');
    assert.equal(existsSync(cache.path), false, 'nothing was kept');
    const offline = new KeyhavenClient({ baseUrl, publicKey, fetch: down });
    await assert.rejects(offline.validateWithOfflineGrace(app, cache), (e: unknown) => e instanceof OfflineGraceError && e.reason === 'NO_CACHE');
  });

  test('item 2: a genuine signed VALID for {key, nonce} written by hand as the cache file is refused offline', async () => {
    const { license, product } = await world();
    const nonce = 'attacker-chosen-nonce';
    const res = await fetch(`${baseUrl}/v1/licenses/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: license.key, nonce }) });
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(JSON.parse(body.toString()).code, 'VALID');
    const cache = { path: cachePath('forged'), offlineGraceMs: 30 * DAY };
    mkdirSync(path.dirname(cache.path), { recursive: true });
    writeFileSync(
      cache.path,
      JSON.stringify({
        v: 2,
        method: 'POST',
        path: '/v1/licenses/validate',
        status: res.status,
        nonce,
        date: res.headers.get('date'),
        signature: res.headers.get('keyhaven-signature'),
        body: body.toString('base64'),
        latestSeen: new Date().toISOString(),
      }),
    );
    const offline = new KeyhavenClient({ baseUrl, publicKey, fetch: down });
    const refused = await offline.validateWithOfflineGrace({ key: license.key, fingerprint: 'any-machine', product: product.code }, cache).catch((e: unknown) => e);
    assert.ok(refused instanceof OfflineGraceError && refused.reason === 'SCOPE_MISMATCH', String(refused));
    // The same genuine file does stand in for the exact request it answered (the signature is fine): the scope is what refuses it.
    const exact = await offline.validateWithOfflineGrace({ key: license.key }, cache);
    assert.equal(exact.source, 'cache');
  });

  test('item 2: a cache copied to another machine, or kept for another product, features or key, is refused offline', async () => {
    const { license, product } = await world({}, { features: ['basic', 'pro'] });
    const other = await world({}, { features: ['basic', 'pro'] });
    const fingerprint = 'machine-a';
    const online = new KeyhavenClient({ baseUrl, publicKey });
    await online.activate({ key: license.key, fingerprint });
    const cache = { path: cachePath('copied'), offlineGraceMs: 30 * DAY };
    const asked = { key: license.key, fingerprint, product: product.code, features: ['pro', 'basic'] };
    assert.equal((await online.validateWithOfflineGrace(asked, cache)).source, 'online');
    const offline = new KeyhavenClient({ baseUrl, publicKey, fetch: down });
    const reason = (input: typeof asked, at = cache) =>
      offline.validateWithOfflineGrace(input, at).then(
        (result) => `OK ${result.source}`,
        (e: unknown) => (e instanceof OfflineGraceError ? e.reason : String(e)),
      );
    assert.equal(await reason(asked), 'OK cache');
    // Another product's app, or the same app asking for a feature the kept answer did not cover.
    assert.equal(await reason({ ...asked, product: other.product.code }), 'SCOPE_MISMATCH');
    assert.equal(await reason({ ...asked, features: ['pro', 'basic', 'enterprise'] }), 'SCOPE_MISMATCH');
    assert.equal(await reason({ ...asked, features: ['pro'] }), 'SCOPE_MISMATCH');
    const { features: _none, ...withoutFeatures } = asked;
    assert.equal(await reason(withoutFeatures as typeof asked), 'SCOPE_MISMATCH');
    // The same features in another order are the same request.
    assert.equal(await reason({ ...asked, features: ['basic', 'pro'] }), 'OK cache');
    // Copied to machine B (its app asks with its own fingerprint).
    const copied = { ...cache, path: cachePath('copied-to-b') };
    mkdirSync(path.dirname(copied.path), { recursive: true });
    copyFileSync(cache.path, copied.path);
    assert.equal(await reason({ ...asked, fingerprint: 'machine-b' }, copied), 'SCOPE_MISMATCH');
    // Another license key with the very same request: the signed keyDigest is not its key's.
    assert.equal(await reason({ ...asked, key: other.license.key }), 'SCOPE_MISMATCH');
    assert.equal(await reason(asked), 'OK cache', 'the refusals did not spoil the cache');
  });

  test('item 2: the grace counts from the signed Date, not from the file', async () => {
    const { license } = await world();
    const cache = { path: cachePath('grace'), offlineGraceMs: 2 * DAY };
    const first = await new KeyhavenClient({ baseUrl, publicKey }).validateWithOfflineGrace({ key: license.key }, cache);
    // Touching the file (a fresh mtime) changes nothing: 2 days after the signed Date it is over.
    writeFileSync(cache.path, Buffer.from((await import('node:fs')).readFileSync(cache.path)));
    const later = new KeyhavenClient({ baseUrl, publicKey, fetch: down, clock: () => new Date(Date.parse(first.validatedAt) + 2 * DAY + 1000) });
    await assert.rejects(later.validateWithOfflineGrace({ key: license.key }, cache), (e: unknown) => e instanceof OfflineGraceError && e.reason === 'GRACE_EXPIRED');
  });

  test("item 3: another license's signed 422 TOO_MANY_MACHINES served for license A is refused as a replay", async () => {
    const a = await world({ maxMachines: 1 });
    const b = await world({ maxMachines: 1 });
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    await sdk.activate({ key: b.license.key, fingerprint: 'b-1' });
    const refusedB = await sdk.activate({ key: b.license.key, fingerprint: 'b-2' }).catch((e: unknown) => e);
    assert.ok(refusedB instanceof KeyhavenError && refusedB.code === 'TOO_MANY_MACHINES');
    // The attacker records B's genuine 422 (its own request) and serves it to the app that activates A.
    const recorded = await record(await fetch(`${baseUrl}/v1/machines/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: b.license.key, fingerprint: 'b-3', nonce: 'n-b' }) }));
    assert.equal(recorded.status, 422);
    const replaying = new KeyhavenClient({ baseUrl, publicKey, fetch: async () => replay(recorded) });
    const refused = await replaying.activate({ key: a.license.key, fingerprint: 'a-1' }).catch((e: unknown) => e);
    assert.ok(refused instanceof ReplayError && refused.reason === 'NONCE_MISMATCH', `not a KeyhavenError TOO_MANY_MACHINES: ${String(refused)}`);
  });

  test("item 3: another license's signed 204 does not make deactivate() report success", async () => {
    const a = await world();
    const b = await world();
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    await sdk.activate({ key: a.license.key, fingerprint: 'seat-a' });
    await sdk.activate({ key: b.license.key, fingerprint: 'seat-b' });
    const recorded = await record(await fetch(`${baseUrl}/v1/machines/deactivate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: b.license.key, fingerprint: 'seat-b' }) }));
    assert.equal(recorded.status, 204);
    const replaying = new KeyhavenClient({ baseUrl, publicKey, fetch: async () => replay(recorded) });
    await assert.rejects(replaying.deactivate({ key: a.license.key, fingerprint: 'seat-a' }), (e: unknown) => e instanceof SignatureError);
    assert.equal((await api().get(`/v1/machines?licenseId=${a.license.id}`)).body.data.length, 1, "A's seat is still taken");
    // A's own deactivation, through the real server, succeeds.
    await sdk.deactivate({ key: a.license.key, fingerprint: 'seat-a' });
    assert.equal((await api().get(`/v1/machines?licenseId=${a.license.id}`)).body.data.length, 0);
  });

  test('item 3: a 200 changed into a 201 cannot flip `created`, nor a 201 into a 200', async () => {
    const { license } = await world();
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    assert.equal((await sdk.activate({ key: license.key, fingerprint: 'flip' })).created, true);
    const flip = (from: number, to: number): FetchLike => async (url, init) => {
      const real = await record(await fetch(url, init));
      return replay(real, real.status === from ? to : real.status);
    };
    await assert.rejects(new KeyhavenClient({ baseUrl, publicKey, fetch: flip(200, 201) }).activate({ key: license.key, fingerprint: 'flip' }), (e: unknown) => e instanceof SignatureError && e.reason === 'INVALID');
    await assert.rejects(new KeyhavenClient({ baseUrl, publicKey, fetch: flip(201, 200) }).activate({ key: license.key, fingerprint: 'flip-new' }), (e: unknown) => e instanceof SignatureError && e.reason === 'INVALID');
    assert.equal((await sdk.activate({ key: license.key, fingerprint: 'flip' })).created, false);
  });

  test('every request carries a fresh random nonce, in the header and the body', async () => {
    const { license } = await world();
    const seen: Array<{ header: string | undefined; body: unknown }> = [];
    const watching: FetchLike = async (url, init) => {
      seen.push({ header: init.headers['keyhaven-nonce'], body: init.body ? (JSON.parse(init.body) as { nonce?: unknown }).nonce : undefined });
      return fetch(url, init);
    };
    const sdk = new KeyhavenClient({ baseUrl, publicKey, fetch: watching });
    await sdk.validate({ key: license.key });
    await sdk.validate({ key: license.key });
    await sdk.activate({ key: license.key, fingerprint: 'nonce-fp' });
    await sdk.deactivate({ key: license.key, fingerprint: 'nonce-fp' });
    await sdk.getPublicKey();
    const nonces = seen.map((s) => s.header);
    assert.equal(new Set(nonces).size, nonces.length, 'never the same twice');
    for (const s of seen) {
      assert.match(s.header ?? '', /^[A-Za-z0-9_-]{24,}$/, 'at least 128 random bits');
      if (s.body !== undefined) assert.equal(s.body, s.header);
    }
  });
});

forEachDialect('@keyhaven/sdk: rate-limited answers', (dialect) => {
  let t: TestApp;
  let baseUrl: string;
  before(async () => {
    t = await startTestApp(dialect, { clock: new ManualClock(new Date()), config: { clientRateLimit: 1 } });
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => t?.close());

  test('a 429 is verified (signed over its status and this call nonce) and reported as RATE_LIMITED', async () => {
    const publicKey = t.deps.signer.publicKeyRaw.toString('base64');
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const key = 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ';
    await sdk.validate({ key }).catch(() => undefined);
    const limited = await sdk.validate({ key }).catch((e: unknown) => e);
    assert.ok(limited instanceof KeyhavenError && limited.code === 'RATE_LIMITED' && limited.status === 429, String(limited));
    assert.ok((limited.retryAfter ?? 0) > 0);
    // The same 429 served to a later call (another nonce) is a replay, not a reason to back off.
    let recorded: Recorded | undefined;
    const once: FetchLike = async (url, init) => {
      recorded ??= await record(await fetch(url, init));
      return replay(recorded);
    };
    const replaying = new KeyhavenClient({ baseUrl, publicKey, fetch: once });
    await replaying.validate({ key }).catch(() => undefined);
    await assert.rejects(replaying.validate({ key }), (e: unknown) => e instanceof ReplayError && e.reason === 'NONCE_MISMATCH');
  });
});
