import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { test } from 'node:test';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { publicKeyFromRaw } from '../../testing/signatures.js';
import { ACTIVATION_REQUEST_LABEL, armor, dearmor, fileKey, LICENSE_FILE_LABEL, openPayload, type LicenseFileEnvelope } from './license-file.js';

function verifyEnvelope(publicKeyB64: string, envelope: LicenseFileEnvelope): boolean {
  return verify(null, Buffer.from(envelope.payload), publicKeyFromRaw(publicKeyB64), Buffer.from(envelope.sig, 'base64'));
}

forEachDialect('offline license files and offline activation', (dialect) => {
  const ctx = useTestApp(dialect);

  test('checkout: an armoured, signed file whose expiry never passes the license', async () => {
    const { license } = await factories.world(ctx.api, { durationDays: 10 });
    const anon = client(ctx.t.app, undefined);
    const res = await anon.post('/v1/licenses/checkout', { key: license.key, nonce: 'n-7' });
    assert.equal(res.status, 200, res.raw);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.ok(res.headers['keyhaven-signature']);
    assert.match(res.raw, /^-----BEGIN KEYHAVEN LICENSE FILE-----\n[A-Za-z0-9+/=\n]+-----END KEYHAVEN LICENSE FILE-----\n$/);
    const envelope = dearmor(LICENSE_FILE_LABEL, `pasted with noise around it\n${res.raw}\nthanks`) as LicenseFileEnvelope;
    const { publicKey } = (await anon.get('/v1/public-key')).body;
    assert.ok(verifyEnvelope(publicKey, envelope));
    const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    assert.equal(payload.license.id, license.id);
    assert.equal(payload.fingerprint, null);
    assert.equal(payload.nonce, 'n-7');
    assert.equal(payload.expiresAt, license.expiresAt, 'a 10-day license caps the default 30-day ttl');
    // Any change to the payload breaks the signature.
    const forged = Buffer.from(JSON.stringify({ ...payload, expiresAt: '2099-01-01T00:00:00.000Z' })).toString('base64');
    assert.equal(verifyEnvelope(publicKey, { ...envelope, payload: forged }), false);
    const short = await anon.post('/v1/licenses/checkout', { key: license.key, ttlDays: 2 });
    const shortPayload = JSON.parse(Buffer.from((dearmor(LICENSE_FILE_LABEL, short.raw) as LicenseFileEnvelope).payload, 'base64').toString());
    assert.equal(Date.parse(shortPayload.expiresAt), ctx.t.clock.now().getTime() + 2 * 86_400_000);
  });

  test('checkout bound to a machine needs that machine activated; encrypted files open with key + fingerprint only', async () => {
    const { license } = await factories.world(ctx.api);
    const anon = client(ctx.t.app, undefined);
    const unbound = await anon.post('/v1/licenses/checkout', { key: license.key, fingerprint: 'fp-offline' });
    assert.equal(unbound.status, 422);
    assert.equal(unbound.body.error.code, 'FINGERPRINT_NOT_ACTIVATED');
    assert.equal((await anon.post('/v1/machines/activate', { key: license.key, fingerprint: 'fp-offline' })).status, 201);
    const res = await anon.post('/v1/licenses/checkout', { key: license.key, fingerprint: 'fp-offline', encrypt: true });
    assert.equal(res.status, 200, res.raw);
    const envelope = dearmor(LICENSE_FILE_LABEL, res.raw) as LicenseFileEnvelope;
    assert.equal(envelope.enc, 'aes-256-gcm');
    assert.doesNotMatch(Buffer.from(envelope.payload, 'base64').toString('latin1'), /keyhaven\.license-file/);
    const canonical = license.key.replace(/-/g, '');
    const payload = JSON.parse(openPayload(envelope.payload, fileKey(canonical, 'fp-offline')));
    assert.equal(payload.fingerprint, 'fp-offline');
    assert.throws(() => openPayload(envelope.payload, fileKey(canonical, 'another-machine')));
    assert.equal((await anon.post('/v1/licenses/checkout', { key: license.key, encrypt: true })).status, 400, 'encryption needs a fingerprint');
  });

  test('offline activation: request file in, seat taken, bound license file out', async () => {
    const { license, customer } = await factories.world(ctx.api, { maxMachines: 1, offlineMaxDays: 90 });
    const request = armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'air-gapped-1', name: 'Lab PC', platform: 'win32' });
    const res = await ctx.api.post('/v1/machines/offline-activations', { request, ttlDays: 90 });
    assert.equal(res.status, 201, res.raw);
    const envelope = dearmor(LICENSE_FILE_LABEL, res.raw) as LicenseFileEnvelope;
    const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
    assert.deepEqual([payload.fingerprint, payload.ttlDays], ['air-gapped-1', 90]);
    const machines = await ctx.api.get(`/v1/machines?licenseId=${license.id}`);
    assert.deepEqual(machines.body.data.map((m: any) => [m.name, m.metadata.activatedOffline]), [['Lab PC', true]]);
    // The seat is taken: a second machine is refused, offline or online.
    const second = armor(ACTIVATION_REQUEST_LABEL, { key: license.key, fingerprint: 'air-gapped-2' });
    const full = await ctx.api.post('/v1/machines/offline-activations', { request: second });
    assert.equal(full.status, 422);
    assert.equal(full.body.error.code, 'TOO_MANY_MACHINES');
    // A customer admin may do it for its own organization, not for another.
    const other = await factories.customer(ctx.api);
    const outsider = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', other.id);
    assert.equal((await client(ctx.t.app, outsider.token).post('/v1/machines/offline-activations', { request: second })).status, 404);
    const insider = await factories.signedInUser(ctx.api, ctx.t.app, 'customer-admin', customer.id);
    // The file is out: the seat cannot be freed until the machine checks it in (or it expires).
    assert.equal((await ctx.api.delete(`/v1/machines/${machines.body.data[0].id}`)).body.error.code, 'SEAT_BORROWED');
    assert.equal((await client(ctx.t.app, undefined).post('/v1/licenses/checkin', { key: license.key, fingerprint: 'air-gapped-1' })).status, 200);
    assert.equal((await ctx.api.delete(`/v1/machines/${machines.body.data[0].id}`)).status, 204);
    assert.equal((await client(ctx.t.app, insider.token).post('/v1/machines/offline-activations', { request: second })).status, 201);
  });

  test('garbage instead of a request file is a 400 naming the field', async () => {
    for (const request of ['hello', '-----BEGIN KEYHAVEN ACTIVATION REQUEST-----\n!!!\n-----END KEYHAVEN ACTIVATION REQUEST-----', armor(ACTIVATION_REQUEST_LABEL, { key: 5 })]) {
      const res = await ctx.api.post('/v1/machines/offline-activations', { request });
      assert.equal(res.status, 400, request);
      assert.ok(res.body.error.details.fields.request);
    }
  });
});
