import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp, type Answer } from '../testing/harness.js';
import { verifySignature } from '../testing/signatures.js';
import { ACTIVATION_REQUEST_LABEL, armor } from '../modules/offline/license-file.js';

/**
 * Issue 12, item 3: a signed answer is bound to its status and to the request's nonce, so an authentic
 * answer to one request cannot be passed off as the answer to another (a replay across licenses, a
 * 204 for someone else's seat, a 200 turned into a 201). These tests play the attacker.
 */
forEachDialect('signed answers are bound to their request (status and nonce)', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);
  const publicKey = async () => (await anon().get('/v1/public-key')).body.publicKey as string;
  const withNonce = (url: string, payload: unknown, nonce: string) => anon().call('POST', url, payload, { 'keyhaven-nonce': nonce });

  test('the signature covers the status and the nonce; the header nonce wins and is echoed', async () => {
    const pub = await publicKey();
    const { license } = await factories.world(ctx.api);
    const created = await withNonce('/v1/machines/activate', { key: license.key, fingerprint: 'fp-1', nonce: 'body-nonce' }, 'header-nonce');
    assert.equal(created.status, 201, created.raw);
    assert.equal(created.body.nonce, 'header-nonce', 'the header nonce wins over the body');
    assert.ok(verifySignature(pub, created, 'POST', '/v1/machines/activate', 'header-nonce'));
    assert.equal(verifySignature(pub, created, 'POST', '/v1/machines/activate', 'body-nonce'), false);
    // The same bytes presented as a 200 ("already active") do not verify, and a 201 cannot pass as a 200.
    assert.equal(verifySignature(pub, { ...created, status: 200 }, 'POST', '/v1/machines/activate', 'header-nonce'), false, '201 → 200 is detected');
    const again = await anon().post('/v1/machines/activate', { key: license.key, fingerprint: 'fp-1', nonce: 'n-again' });
    assert.equal(again.status, 200);
    assert.ok(verifySignature(pub, again, 'POST', '/v1/machines/activate', 'n-again'));
    assert.equal(verifySignature(pub, { ...again, status: 201 }, 'POST', '/v1/machines/activate', 'n-again'), false, '200 → 201 is detected');
  });

  test("another license's signed 422 TOO_MANY_MACHINES does not verify as the answer to license A", async () => {
    const pub = await publicKey();
    const a = await factories.world(ctx.api, { maxMachines: 1 });
    const b = await factories.world(ctx.api, { maxMachines: 1 });
    assert.equal((await anon().post('/v1/machines/activate', { key: b.license.key, fingerprint: 'b-1' })).status, 201);
    const full = await anon().post('/v1/machines/activate', { key: b.license.key, fingerprint: 'b-2', nonce: 'nonce-of-b' });
    assert.equal(full.status, 422);
    assert.deepEqual([full.body.error.code, full.body.nonce], ['TOO_MANY_MACHINES', 'nonce-of-b'], 'errors echo the nonce beside the error');
    assert.ok(verifySignature(pub, full, 'POST', '/v1/machines/activate', 'nonce-of-b'));
    // License A's app sent its own nonce; the recorded answer for B is refused, with or without editing the echoed nonce.
    assert.equal(verifySignature(pub, full, 'POST', '/v1/machines/activate', 'nonce-of-a'), false);
    assert.equal(verifySignature(pub, { ...full, raw: full.raw.replace('nonce-of-b', 'nonce-of-a') }, 'POST', '/v1/machines/activate', 'nonce-of-a'), false);
    const mine = await anon().post('/v1/machines/activate', { key: a.license.key, fingerprint: 'a-1', nonce: 'nonce-of-a' });
    assert.equal(mine.status, 201);
  });

  test("another license's signed 204 does not verify as deactivate's answer for license A", async () => {
    const pub = await publicKey();
    const a = await factories.world(ctx.api);
    const b = await factories.world(ctx.api);
    for (const key of [a.license.key, b.license.key]) assert.equal((await anon().post('/v1/machines/activate', { key, fingerprint: 'seat' })).status, 201);
    const freedB = await anon().post('/v1/machines/deactivate', { key: b.license.key, fingerprint: 'seat', nonce: 'deactivate-b' });
    assert.equal(freedB.status, 204);
    assert.equal(freedB.raw, '');
    assert.ok(verifySignature(pub, freedB, 'POST', '/v1/machines/deactivate', 'deactivate-b'), 'a 204 signs the nonce although it has no body');
    assert.equal(verifySignature(pub, freedB, 'POST', '/v1/machines/deactivate', 'deactivate-a'), false, "B's 204 cannot stand for A's");
    assert.equal(verifySignature(pub, freedB, 'POST', '/v1/machines/deactivate'), false);
    assert.equal((await ctx.api.get(`/v1/machines?licenseId=${a.license.id}`)).body.data.length, 1, "A's seat is still taken");
  });

  test('every client operation accepts a nonce and signs it; errors included', async () => {
    const pub = await publicKey();
    const { license, product } = await factories.world(ctx.api, { maxMachines: 2 });
    const checks: Array<[string, string, Answer, string]> = [];
    const call = async (url: string, payload: Record<string, unknown>, nonce: string) => {
      const res = await anon().post(url, { ...payload, nonce });
      checks.push(['POST', url, res, nonce]);
      return res;
    };
    await call('/v1/licenses/validate', { key: license.key }, 'n-validate');
    await call('/v1/machines/activate', { key: license.key, fingerprint: 'op-1' }, 'n-activate');
    await call('/v1/machines/heartbeat', { key: license.key, fingerprint: 'op-1' }, 'n-heartbeat');
    await call('/v1/usage', { key: license.key, feature: 'nope' }, 'n-usage');
    await call('/v1/updates/check', { key: license.key, product: product.code, version: '1.0.0' }, 'n-updates');
    await call('/v1/notices', { key: license.key }, 'n-notices');
    await call('/v1/licenses/checkout', { key: license.key }, 'n-checkout');
    await call('/v1/machines/deactivate', { key: license.key, fingerprint: 'op-1' }, 'n-deactivate');
    await call('/v1/machines/activate', { key: '00000-00000-00000-00000-00000-00000', fingerprint: 'op-1' }, 'n-404');
    for (const [method, url, res, nonce] of checks) {
      assert.ok(res.status < 500, `${url}: ${res.status} ${res.raw}`);
      assert.ok(verifySignature(pub, res, method, url, nonce), `${url} (${res.status}) is signed over its status and nonce`);
      if (res.raw.startsWith('{')) assert.equal(res.body.nonce, nonce, `${url} echoes the nonce`);
    }
    assert.ok(checks.some(([, , res]) => res.status === 404 || res.status === 422), 'an error answer was among them');

    // Signed in, without a key: the sign-in activation and the offline activation take a nonce too.
    const signedIn = await ctx.api.call('POST', `/v1/licenses/${license.id}/machines`, { fingerprint: 'op-2' }, { 'keyhaven-nonce': 'n-signed-in' });
    assert.equal(signedIn.status, 201, signedIn.raw);
    assert.ok(verifySignature(pub, signedIn, 'POST', `/v1/licenses/${license.id}/machines`, 'n-signed-in'));
    const request = armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'op-3' });
    const offline = await ctx.api.post('/v1/machines/offline-activations', { request, nonce: 'n-offline' });
    assert.equal(offline.status, 201, offline.raw);
    assert.ok(verifySignature(pub, offline, 'POST', '/v1/machines/offline-activations', 'n-offline'));
  });

  test('a malformed nonce is a 400, never a line of its own in the signing string', async () => {
    const { license } = await factories.world(ctx.api);
    const inBody = await anon().post('/v1/licenses/validate', { key: license.key, nonce: 'a b\nsha-256=forged' });
    assert.deepEqual([inBody.status, inBody.body.error.code], [400, 'VALIDATION_FAILED']);
    assert.ok(inBody.body.error.details.fields.nonce);
    const inHeader = await withNonce('/v1/licenses/validate', { key: license.key }, 'x'.repeat(201));
    assert.deepEqual([inHeader.status, inHeader.body.error.code], [400, 'VALIDATION_FAILED']);
    assert.ok(inHeader.body.error.details.fields['keyhaven-nonce']);
    assert.ok(inHeader.headers['keyhaven-signature'], 'the refusal is signed');
  });
});

/** Issue 12, item 2 (server half): a validation answer states what it covers, so the SDK can compare. */
forEachDialect('validation answers state their scope', (dialect) => {
  const ctx = useTestApp(dialect);

  test('scope is the request as given (null where not given) and keyDigest ties the answer to the key', async () => {
    const { license, product } = await factories.world(ctx.api, {}, { features: ['pro', 'export'] });
    const anon = client(ctx.t.app, undefined);
    const bare = await anon.post('/v1/licenses/validate', { key: license.key, nonce: 'n-bare' });
    assert.equal(bare.status, 200, bare.raw);
    assert.deepEqual(bare.body.scope, { fingerprint: null, product: null, features: null, domain: null }, 'a narrow request is visibly narrow');

    const full = await anon.post('/v1/licenses/validate', {
      key: license.key.toLowerCase(),
      fingerprint: 'fp-scope',
      product: product.code,
      features: ['export', 'pro'],
      domain: 'example.com',
    });
    assert.equal(full.status, 200, full.raw);
    assert.deepEqual(full.body.scope, { fingerprint: 'fp-scope', product: product.code, features: ['export', 'pro'], domain: 'example.com' });
    const canonical = license.key.replace(/-/g, '');
    const digest = createHash('sha256').update('keyhaven-license-key\0').update(canonical).digest('base64url');
    assert.equal(full.body.keyDigest, digest, 'the digest of the canonical key, however it was typed');
    assert.equal(bare.body.keyDigest, digest);
  });
});

forEachDialect('rate-limited client answers', (dialect) => {
  const ctx = useTestApp(dialect, { config: { clientRateLimit: 2 } });

  test('a 429 from the rate limiter is signed over its status and carries the header nonce', async () => {
    const pub = (await client(ctx.t.app, undefined).get('/v1/public-key')).body.publicKey as string;
    const anon = client(ctx.t.app, undefined);
    const key = 'ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ';
    let last: Answer | undefined;
    for (let i = 0; i < 3; i++) last = await anon.call('POST', '/v1/licenses/validate', { key }, { 'keyhaven-nonce': `n-${i}` });
    assert.equal(last!.status, 429, last!.raw);
    assert.deepEqual([last!.body.error.code, last!.body.nonce], ['RATE_LIMITED', 'n-2']);
    assert.ok(Number(last!.headers['retry-after']) > 0);
    assert.ok(verifySignature(pub, last!, 'POST', '/v1/licenses/validate', 'n-2'));
    assert.equal(verifySignature(pub, last!, 'POST', '/v1/licenses/validate', 'n-1'), false, 'not reusable for another request');
  });
});
