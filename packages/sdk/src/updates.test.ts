import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { ADMIN_TOKEN, client, factories, forEachDialect, startTestApp, type TestApp } from '../../server/src/testing/harness.js';
import { ManualClock } from '../../server/src/lib/clock.js';
import { tarStream, type TarEntry } from '../../server/src/modules/artifacts/bundle.js';
import { KeyhavenClient, KeyhavenError, UpdateVerificationError, verifyUpdateBundle, type DownloadableArtifact, type FetchLike, type UpdateVerificationFailure } from './index.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

forEachDialect('@keyhaven/sdk updates: checkForUpdate, downloadUpdate, verifyUpdateBundle', (dialect) => {
  let t: TestApp;
  let baseUrl: string;
  let publicKey: string;
  let tmp: string;
  let counter = 0;

  before(async () => {
    t = await startTestApp(dialect, { clock: new ManualClock(new Date()) });
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    publicKey = t.deps.signer.publicKeyRaw.toString('base64');
    tmp = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-sdk-updates-'));
  });
  after(async () => {
    await t?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const dir = () => path.join(tmp, `case-${++counter}`);

  /** A product with a license, a published release 2.0.0 and one artifact holding `data`. */
  async function published(data: Buffer, fileName = 'app-2.0.0-linux-x64.tar.gz') {
    const api = client(t.app);
    const { product, license } = await factories.world(api, { durationDays: 365 });
    const release = await api.post('/v1/releases', { productId: product.id, version: '2.0.0', notes: '## 2.0.0\n- updates' });
    assert.equal(release.status, 201, release.raw);
    assert.equal((await api.post(`/v1/releases/${release.body.id}/actions/publish`)).status, 200);
    const qs = new URLSearchParams({ platform: 'linux', arch: 'x64', fileType: 'tar.gz', fileName });
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${release.body.id}/artifacts?${qs}`,
      payload: data,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(res.statusCode, 201, res.body);
    return { product, license, release: release.body, artifact: JSON.parse(res.body) };
  }

  /** A license-key download link as the application gets it, pointed at the listening test server. */
  async function linkFor(artifactId: string, key: string): Promise<DownloadableArtifact> {
    const link = await client(t.app).post(`/v1/artifacts/${artifactId}/download-link/by-key`, { key });
    assert.equal(link.status, 200, link.raw);
    const url = new URL(link.body.url);
    return { ...link.body.artifact, url: new URL(url.pathname + url.search, baseUrl).toString() };
  }

  const data = (size: number, seed = 1) => {
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[i] = (i * 17 + seed * 101) & 0xff;
    return out;
  };

  const reason = async (promise: Promise<unknown>): Promise<UpdateVerificationFailure | string> => {
    try {
      await promise;
      return 'OK';
    } catch (error) {
      assert.ok(error instanceof UpdateVerificationError, String(error));
      return error.reason;
    }
  };

  test('checkForUpdate: signed, nonce checked, release with artifacts as an array', async () => {
    const { product, license, release } = await published(data(1000));
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const answer = await sdk.checkForUpdate({ key: license.key, product: product.code, version: '1.0.0', platform: 'linux', arch: 'x64' });
    assert.equal(answer.updateAvailable, true);
    assert.equal(answer.code, 'VALID');
    assert.equal(answer.release?.id, release.id);
    assert.equal(answer.release?.version, '2.0.0');
    assert.ok(Array.isArray(answer.release?.artifacts));
    const none = await sdk.checkForUpdate({ key: license.key, product: product.code, version: '2.0.0' });
    assert.deepEqual([none.updateAvailable, none.release], [false, undefined]);

    // A replayed answer (recorded once, served again for a new nonce) is refused.
    let recorded: { body: ArrayBuffer; status: number; headers: Headers } | undefined;
    const replaying: FetchLike = async (url, init) => {
      if (!recorded) {
        const real = await fetch(url, init);
        recorded = { body: await real.arrayBuffer(), status: real.status, headers: new Headers(real.headers) };
      }
      return new Response(recorded.body.slice(0), { status: recorded.status, headers: recorded.headers });
    };
    const replayed = new KeyhavenClient({ baseUrl, publicKey, fetch: replaying });
    await replayed.checkForUpdate({ key: license.key, product: product.code, version: '1.0.0' });
    await assert.rejects(replayed.checkForUpdate({ key: license.key, product: product.code, version: '1.0.0' }), /nonce/);
  });

  test('downloadUpdate: streams to .part with progress, verifies, renames; the download is recorded', async () => {
    const bytes = data(300_000);
    const { license, artifact } = await published(bytes);
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const destination = path.join(dir(), 'nested', 'update.tar.gz');
    const progress: { received: number; total: number }[] = [];
    const result = await sdk.downloadUpdate(await linkFor(artifact.id, license.key), { destination, onProgress: (p) => progress.push(p) });
    assert.deepEqual(result, { path: destination, size: bytes.length, sha256: sha(bytes) });
    assert.ok((await readFile(destination)).equals(bytes));
    assert.equal(existsSync(`${destination}.part`), false);
    assert.ok(progress.length >= 1);
    assert.ok(progress.every((p, i) => p.total === bytes.length && (i === 0 || p.received > progress[i - 1]!.received)));
    assert.equal(progress.at(-1)!.received, bytes.length);
    const downloads = await client(t.app).get(`/v1/artifacts/${artifact.id}/downloads`);
    assert.deepEqual(downloads.body.data.map((d: any) => d.licenseId), [license.id]);
  });

  test('downloadUpdate refuses a corrupted stored file, a flipped byte in transit, a wrong size, a forged hash and another key; no file is left', async () => {
    const bytes = data(100_000, 2);
    const { license, artifact } = await published(bytes);
    const sdk = new KeyhavenClient({ baseUrl, publicKey });
    const target = dir();
    const destination = path.join(target, 'update.bin');
    const nothingLeft = async () => assert.deepEqual(await readdir(target).catch(() => []), []);

    // A byte flipped by a proxy: the server's headers are intact, the body is not.
    const flipping: FetchLike = async (url, init) => {
      const real = await fetch(url, init);
      const body = Buffer.from(await real.arrayBuffer());
      body[50_000] = body[50_000]! ^ 0xff;
      return new Response(body, { status: real.status, headers: real.headers });
    };
    const viaProxy = new KeyhavenClient({ baseUrl, publicKey, fetch: flipping });
    assert.equal(await reason(viaProxy.downloadUpdate(await linkFor(artifact.id, license.key), { destination })), 'checksum');
    await nothingLeft();

    // A size the server does not send, a hash that is not signed, a key that is not embedded.
    const link = await linkFor(artifact.id, license.key);
    assert.equal(await reason(sdk.downloadUpdate({ ...link, size: link.size + 1 }, { destination })), 'size');
    assert.equal(await reason(sdk.downloadUpdate({ ...link, sha256: sha(Buffer.from('other')) }, { destination })), 'signature');
    assert.equal(await reason(sdk.downloadUpdate({ ...link, keyId: 'ed25519-0000000000000000' }, { destination })), 'key');
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.equal(await reason(new KeyhavenClient({ baseUrl, publicKey: otherKey }).downloadUpdate(link, { destination })), 'key');
    await nothingLeft();

    // The stored object corrupted on the server (same size): the bytes no longer hash to the signed SHA-256.
    const objects = path.join(t.deps.config.dataDir, 'artifacts', 'objects');
    let corrupted = false;
    for (const name of await readdir(objects)) {
      const file = path.join(objects, name);
      const content = await readFile(file);
      if (!content.equals(bytes)) continue;
      content[0] = content[0]! ^ 0x01;
      await writeFile(file, content);
      corrupted = true;
    }
    assert.ok(corrupted, 'found the stored object');
    const progress: number[] = [];
    assert.equal(await reason(sdk.downloadUpdate(await linkFor(artifact.id, license.key), { destination, onProgress: (p) => progress.push(p.received) })), 'checksum');
    assert.equal(progress.at(-1), bytes.length, 'the whole file came, then it was refused');
    await nothingLeft();

    // HTTP errors keep the SDK's types: a tampered link is the server's 403 DOWNLOAD_LINK_INVALID.
    const tampered = { ...link, url: link.url.replace(/s=([0-9a-f])/, (_m, c: string) => `s=${c === '0' ? '1' : '0'}`) };
    const refused = await sdk.downloadUpdate(tampered, { destination }).catch((e: unknown) => e);
    assert.ok(refused instanceof KeyhavenError, String(refused));
    assert.deepEqual([refused.status, refused.code], [403, 'DOWNLOAD_LINK_INVALID']);
    await nothingLeft();

    // Cancelled by the application: the signal's reason, no file.
    const controller = new AbortController();
    const fresh = await published(data(200_000, 3));
    const cancelled = sdk.downloadUpdate(await linkFor(fresh.artifact.id, fresh.license.key), {
      destination,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('user cancelled')),
    });
    await assert.rejects(cancelled, /user cancelled/);
    await nothingLeft();
  });

  test('verifyUpdateBundle: a real bundle verifies offline and extracts; tampering, another key, truncation, extra entries and path tricks are refused', async () => {
    const bytes = data(150_000, 4);
    const { product, license, release, artifact } = await published(bytes, 'App Setup 2.0.0.tar.gz');
    const link = await linkFor(artifact.id, license.key);
    const res = await fetch(`${link.url}&format=bundle`);
    assert.equal(res.status, 200);
    const bundle = Buffer.from(await res.arrayBuffer());
    const work = dir();
    const bundlePath = path.join(tmp, `bundle-${counter}.khbundle.tar`);
    await writeFile(bundlePath, bundle);

    const checked = await verifyUpdateBundle(bundlePath, { publicKey });
    assert.equal(checked.path, undefined);
    assert.equal(checked.manifest.product.code, product.code);
    assert.equal(checked.manifest.release.id, release.id);
    assert.equal(checked.manifest.artifact.sha256, sha(bytes));
    const extracted = await verifyUpdateBundle(bundlePath, { publicKey, extractTo: work });
    assert.equal(extracted.path, path.join(work, 'App Setup 2.0.0.tar.gz'));
    assert.ok((await readFile(extracted.path!)).equals(bytes));
    rmSync(extracted.path!);

    const variant = async (content: Buffer) => {
      const file = path.join(tmp, `variant-${++counter}.tar`);
      await writeFile(file, content);
      const outcome = await reason(verifyUpdateBundle(file, { publicKey, extractTo: work }));
      if (outcome !== 'OK') assert.deepEqual(await readdir(work), [], 'nothing left behind');
      return outcome;
    };
    const manifestAt = bundle.indexOf('"version": "2.0.0"');
    assert.ok(manifestAt > 0 && manifestAt < 4096);
    const editedManifest = Buffer.from(bundle);
    editedManifest.write('"version": "9.0.0"', manifestAt);
    assert.equal(await variant(editedManifest), 'signature', 'tampered manifest');
    const editedPayload = Buffer.from(bundle);
    const payloadAt = bundle.length - 1024 - 512 * Math.ceil(bytes.length / 512) + 1000;
    editedPayload[payloadAt] = editedPayload[payloadAt]! ^ 0x01;
    assert.equal(await variant(editedPayload), 'checksum', 'tampered payload');
    for (const cut of [100, 700, 3000, bundle.length - 50_000, bundle.length - 1024, bundle.length - 512]) {
      assert.equal(await variant(bundle.subarray(0, cut)), 'archive', `truncated at ${cut}`);
    }
    const otherKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.equal(await reason(verifyUpdateBundle(bundlePath, { publicKey: otherKey, extractTo: work })), 'key');

    // Bundles made with the server's own writer and signer, each wrong in one way.
    const signer = t.deps.signer;
    const manifest = JSON.parse(JSON.stringify(checked.manifest));
    const craft = async (options: { fileName?: string; names?: string[]; extra?: TarEntry; sign?: (bytes: Buffer) => string } = {}) => {
      const m = { ...manifest, artifact: { ...manifest.artifact, fileName: options.fileName ?? manifest.artifact.fileName } };
      const mBytes = Buffer.from(JSON.stringify(m));
      const sig = Buffer.from((options.sign ?? ((b: Buffer) => signer.sign(b)))(mBytes));
      const names = options.names ?? ['manifest.json', 'manifest.sig', `payload/${m.artifact.fileName}`];
      const entries: TarEntry[] = [
        { name: names[0]!, size: mBytes.length, body: mBytes },
        { name: names[1]!, size: sig.length, body: sig },
        { name: names[2]!, size: bytes.length, body: () => Readable.from([bytes]) },
        ...(options.extra ? [options.extra] : []),
      ];
      const parts: Buffer[] = [];
      for await (const part of tarStream(entries, new Date())) parts.push(part as Buffer);
      return Buffer.concat(parts);
    };
    assert.equal(await variant(await craft()), 'OK', 'the crafted bundle itself is fine');
    rmSync(path.join(work, manifest.artifact.fileName));
    assert.equal(await variant(await craft({ fileName: '../escape.tar.gz' })), 'archive', 'a path in the signed file name');
    assert.ok(!existsSync(path.join(work, '..', 'escape.tar.gz')));
    assert.equal(await variant(await craft({ names: ['manifest.json', 'manifest.sig', `payload/../${manifest.artifact.fileName}`] })), 'archive', 'a path trick in the entry name');
    assert.equal(await variant(await craft({ names: ['./manifest.json', 'manifest.sig', `payload/${manifest.artifact.fileName}`] })), 'archive');
    assert.equal(await variant(await craft({ extra: { name: 'payload/extra.sh', size: 3, body: Buffer.from('rm\n') } })), 'archive', 'an extra entry');
    const longName = `${'long-name-'.repeat(15)}.tar.gz`; // > 100 bytes: written with a pax path record
    assert.equal(await variant(await craft({ fileName: longName })), 'OK', 'pax path records are read');
    rmSync(path.join(work, longName));
    const wrongSigner = generateKeyPairSync('ed25519').privateKey;
    const { sign } = await import('node:crypto');
    assert.equal(await variant(await craft({ sign: (b) => sign(null, b, wrongSigner).toString('base64') })), 'signature', 'signed by another key than the one named');
  });
  test('end to end: staff publish with notes; the key downloads it and an older version; the app finds, downloads and verifies the update; a yank rolls it back', async () => {
    const api = client(t.app);
    const { product, license } = await factories.world(api, { durationDays: 365, features: ['base'] });
    const upload = async (releaseId: string, bytes: Buffer, fileName: string) => {
      const qs = new URLSearchParams({ platform: 'linux', arch: 'x64', fileType: 'tar.gz', fileName, sha256: sha(bytes) });
      const res = await t.app.inject({
        method: 'PUT',
        url: `/v1/releases/${releaseId}/artifacts?${qs}`,
        payload: bytes,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
      });
      assert.equal(res.statusCode, 201, res.body);
      return JSON.parse(res.body);
    };
    const publish = async (version: string, bytes: Buffer) => {
      const release = await api.post('/v1/releases', { productId: product.id, version, notes: `## ${version}\n- what changed` });
      assert.equal(release.status, 201, release.raw);
      const artifact = await upload(release.body.id, bytes, `app-${version}-linux-x64.tar.gz`);
      assert.equal((await api.post(`/v1/releases/${release.body.id}/actions/publish`)).status, 200);
      return { release: release.body, artifact };
    };
    const v1 = data(50_000, 3);
    const v2 = data(80_000, 4);
    const older = await publish('1.0.0', v1);
    const newer = await publish('1.1.0', v2);
    const sdk = new KeyhavenClient({ baseUrl, publicKey });

    // The customer's key downloads the new release and the older one.
    const got1 = await sdk.downloadUpdate(await linkFor(older.artifact.id, license.key), { destination: path.join(dir(), 'old.tar.gz') });
    assert.equal(got1.sha256, sha(v1));
    const gotNew = await sdk.downloadUpdate(await linkFor(newer.artifact.id, license.key), { destination: path.join(dir(), 'new.tar.gz') });
    assert.equal(gotNew.sha256, sha(v2));

    // The app on 1.0.0 finds 1.1.0 with its notes and a link for its platform, downloads and verifies it.
    const found = await sdk.checkForUpdate({ key: license.key, product: product.code, version: '1.0.0', platform: 'linux', arch: 'x64' });
    assert.deepEqual([found.updateAvailable, found.release?.version], [true, '1.1.0']);
    assert.match(found.release?.notesHtml ?? '', /<h2>1\.1\.0<\/h2>/);
    const offered = found.release!.artifacts[0]!;
    assert.equal(offered.sha256, sha(v2));
    const local = new URL(offered.url);
    const destination = path.join(dir(), 'update.tar.gz');
    const progress: number[] = [];
    const saved = await sdk.downloadUpdate({ ...offered, url: new URL(local.pathname + local.search, baseUrl).toString() }, { destination, onProgress: (p) => progress.push(p.received) });
    assert.deepEqual([saved.size, saved.sha256], [v2.length, sha(v2)]);
    assert.ok((await readFile(destination)).equals(v2));
    assert.equal(progress.at(-1), v2.length);

    // Yanking 1.1.0: an app on 0.9.0 is offered 1.0.0 again, and 1.1.0 is no longer downloadable by key.
    assert.equal((await api.post(`/v1/releases/${newer.release.id}/actions/yank`, { reason: 'data loss' })).status, 200);
    const after = await sdk.checkForUpdate({ key: license.key, product: product.code, version: '0.9.0', platform: 'linux', arch: 'x64' });
    assert.deepEqual([after.updateAvailable, after.release?.version], [true, '1.0.0']);
    const onNewest = await sdk.checkForUpdate({ key: license.key, product: product.code, version: '1.0.0', platform: 'linux', arch: 'x64' });
    assert.equal(onNewest.updateAvailable, false);
    assert.equal((await client(t.app).post(`/v1/artifacts/${newer.artifact.id}/download-link/by-key`, { key: license.key })).status, 404);
  });
});
