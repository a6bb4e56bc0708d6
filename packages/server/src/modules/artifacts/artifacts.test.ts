import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { ADMIN_TOKEN, client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';
import { checkFileName } from './artifacts.service.js';
import { LocalStorage } from './storage.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A stream of `size` pseudo-random bytes in 64 KiB chunks, never one buffer. */
function chunks(data: Buffer, chunk = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return this.push(null);
      this.push(data.subarray(offset, offset + chunk));
      offset += chunk;
    },
  });
}

test('file names: path tricks, control characters and NUL are refused', () => {
  for (const bad of ['../etc/passwd', '/etc/passwd', 'a/b.zip', 'a\\b.zip', 'C:evil.exe', '..', '.', '.hidden', 'a\u0000.zip', 'a\nb.zip', 'a\u007f', '', ' lead.zip', 'x'.repeat(256)]) {
    assert.throws(() => checkFileName(bad), (e: any) => e.code === 'INVALID_FILE_NAME', JSON.stringify(bad));
  }
  for (const good of ['app-1.0.0-x64.msi', 'App Setup 1.0.dmg', 'tool_linux.tar.gz', 'ünïcode.zip']) assert.equal(checkFileName(good), good);
});

test('local storage: an interrupted or oversized stream leaves no file behind', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'kh-storage-'));
  try {
    const storage = new LocalStorage(root);
    let sent = 0;
    const broken = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(1024, 1));
        else this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(storage.put(broken, { maxBytes: 1 << 20 }), /connection reset/);
    await assert.rejects(storage.put(chunks(Buffer.alloc(10_000)), { maxBytes: 5_000 }), (e: any) => e.code === 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(await readdir(path.join(root, 'tmp')), []);
    assert.deepEqual(await readdir(path.join(root, 'objects')), []);
    const data = Buffer.from('hello artifact');
    const stored = await storage.put(chunks(data, 3), { maxBytes: 100 });
    assert.deepEqual([stored.size, stored.sha256], [data.length, sha(data)]);
    const back = await storage.get(stored.key);
    const parts: Buffer[] = [];
    for await (const part of back.stream) parts.push(part as Buffer);
    assert.deepEqual(Buffer.concat(parts), data);
    await storage.delete(stored.key);
    assert.deepEqual(await readdir(path.join(root, 'objects')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

forEachDialect('release artifacts and entitled downloads', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);

  async function release(api: Client, productId: string, version: string, extra: Record<string, unknown> = {}, publish = true) {
    const res = await api.post('/v1/releases', { productId, version, ...extra });
    assert.equal(res.status, 201, res.raw);
    if (publish) assert.equal((await api.post(`/v1/releases/${res.body.id}/actions/publish`)).status, 200);
    return res.body;
  }

  async function upload(releaseId: string, data: Buffer | Readable, query: Record<string, string> = {}, token?: string) {
    const qs = new URLSearchParams({ platform: 'linux', arch: 'x64', fileType: 'tar.gz', fileName: 'app-linux-x64.tar.gz', ...query });
    const res = await ctx.t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${releaseId}/artifacts?${qs}`,
      payload: data,
      headers: { authorization: `Bearer ${token ?? ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, raw: res.body };
  }

  const fetchUrl = async (url: string) => {
    const parsed = new URL(url);
    const res = await ctx.t.app.inject({ method: 'GET', url: parsed.pathname + parsed.search });
    return res;
  };

  test('a file larger than the body limit streams in; hash, size and Ed25519 signature are recorded; download serves it', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const rel = await release(api, product.id, '1.0.0');
    const data = Buffer.alloc(3 * 1024 * 1024 + 123);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
    const res = await upload(rel.id, chunks(data), { sha256: sha(data) });
    assert.equal(res.status, 201, res.raw);
    assert.deepEqual([res.body.size, res.body.sha256, res.body.status, res.body.fileName], [data.length, sha(data), 'available', 'app-linux-x64.tar.gz']);
    const keyPem = (await anon().get('/v1/public-key')).body;
    const pem = typeof keyPem === 'string' ? keyPem : (keyPem.publicKeyPem ?? keyPem.pem);
    assert.ok(verify(null, Buffer.from(res.body.sha256), createPublicKey(pem), Buffer.from(res.body.signature, 'base64')), 'signature verifies');

    const list = await api.get(`/v1/releases/${rel.id}/artifacts`);
    assert.deepEqual(list.body.data.map((a: any) => a.id), [res.body.id]);

    const link = await api.post(`/v1/artifacts/${res.body.id}/download-link`);
    assert.equal(link.status, 200, link.raw);
    const file = await fetchUrl(link.body.url);
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-length'], String(data.length));
    assert.equal(file.headers['x-checksum-sha256'], sha(data));
    assert.match(String(file.headers['content-disposition']), /attachment; filename="app-linux-x64.tar.gz"/);
    assert.ok(file.rawPayload.equals(data), 'the same bytes come back');

    const tooBig = await upload(rel.id, chunks(Buffer.alloc(4 * 1024 * 1024 + 1)));
    assert.deepEqual([tooBig.status, tooBig.body.error.code], [413, 'PAYLOAD_TOO_LARGE']);
    assert.equal((await api.get(`/v1/releases/${rel.id}/artifacts`)).body.data.length, 1, 'nothing offered for the refused upload');
  });

  test('over a real socket: a client that aborts mid-upload leaves nothing offered, and the server keeps serving', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const rel = await release(api, product.id, '1.0.0', {}, false);
    const tmpDir = path.join(os.tmpdir(), 'artifacts', 'tmp');
    const partsNow = async () => (await readdir(tmpDir).catch(() => [] as string[])).filter((f) => f.endsWith('.part'));
    const before = new Set(await partsNow());
    const address = await ctx.t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = new URL(`/v1/releases/${rel.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=partial.zip`, address);
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream', 'content-length': String(8 * 1024 * 1024) } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(256 * 1024, 7), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 100));
    });
    // The server notices the abort, removes the partial file and records nothing.
    let items: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      items = (await api.get(`/v1/releases/${rel.id}/artifacts`)).body.data;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.deepEqual(items, []);
    // Other tests upload into the same directory meanwhile: only a new, 256 KiB partial file would be ours.
    const left = await Promise.all(
      (await partsNow()).filter((f) => !before.has(f)).map(async (f) => (await stat(path.join(tmpDir, f)).catch(() => undefined))?.size === 256 * 1024),
    );
    assert.ok(!left.includes(true), 'the aborted upload left no partial file');
    const ok = await upload(rel.id, Buffer.from('after the abort'));
    assert.equal(ok.status, 201, ok.raw);
  });

  test('checksum mismatch and path tricks are 400 and keep nothing; deleteArtifact removes it', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const rel = await release(api, product.id, '1.0.0', {}, false);
    const data = Buffer.from('the real bytes');
    const wrong = await upload(rel.id, data, { sha256: sha(Buffer.from('other bytes')) });
    assert.deepEqual([wrong.status, wrong.body.error.code], [400, 'CHECKSUM_MISMATCH']);
    for (const fileName of ['../../etc/passwd', '/abs/file.zip', 'a\u0000b', 'a\rb']) {
      const bad = await upload(rel.id, data, { fileName });
      assert.equal(bad.status, 400, JSON.stringify(fileName));
      assert.ok(['INVALID_FILE_NAME', 'VALIDATION_FAILED'].includes(bad.body.error.code), bad.raw);
    }
    const badQuery = await upload(rel.id, data, { platform: '../x' });
    assert.equal(badQuery.status, 400);
    const wrongType = await api.call('PUT', `/v1/releases/${rel.id}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=a.zip`, { json: true });
    assert.equal(wrongType.status, 415);
    assert.equal((await api.get(`/v1/releases/${rel.id}/artifacts`)).body.data.length, 0);

    const ok = await upload(rel.id, data);
    assert.equal(ok.status, 201);
    assert.equal((await api.delete(`/v1/artifacts/${ok.body.id}`)).status, 204);
    assert.equal((await api.get(`/v1/releases/${rel.id}/artifacts`)).body.data.length, 0);
    assert.equal((await api.delete(`/v1/artifacts/${ok.body.id}`)).status, 404);
  });

  test('deleteRelease: a draft goes with its artifacts, their files and an audit event; a published or yanked release is refused', async () => {
    const api = ctx.api;
    const product = await factories.product(api);
    const draft = await release(api, product.id, '2.0.0-draft', {}, false);
    const files = [await upload(draft.id, Buffer.from('draft bytes one')), await upload(draft.id, Buffer.from('draft bytes two'), { fileName: 'two.tar.gz' })];
    for (const f of files) assert.equal(f.status, 201, f.raw);
    const db = ctx.t.deps.database.db;
    const keys = (await db.selectFrom('artifacts').select('storage_key').where('release_id', '=', draft.id).execute()).map((r) => r.storage_key);
    const objects = path.join(ctx.t.deps.config.dataDir, 'artifacts', 'objects');
    const exists = (key: string) => stat(path.join(objects, key)).then(() => true, () => false);
    for (const key of keys) assert.ok(await exists(key), 'stored before');

    const published = await release(api, product.id, '2.0.0');
    const kept = await upload(published.id, Buffer.from('published bytes'));
    const refused = await api.delete(`/v1/releases/${published.id}`);
    assert.deepEqual([refused.status, refused.body.error.code], [409, 'INVALID_TRANSITION']);
    assert.equal((await api.post(`/v1/releases/${published.id}/actions/yank`, {})).status, 200);
    const yanked = await api.delete(`/v1/releases/${published.id}`);
    assert.deepEqual([yanked.status, yanked.body.error.code], [409, 'INVALID_TRANSITION']);
    assert.equal((await api.get(`/v1/releases/${published.id}`)).status, 200, 'the published release stays');
    assert.equal((await api.post(`/v1/artifacts/${kept.body.id}/download-link`)).status, 200, 'and its file');

    const member = await factories.signedInUser(api, ctx.t.app, 'read-only');
    assert.equal((await client(ctx.t.app, member.token).delete(`/v1/releases/${draft.id}`)).status, 403);

    assert.equal((await api.delete(`/v1/releases/${draft.id}`)).status, 204);
    assert.equal((await api.get(`/v1/releases/${draft.id}`)).status, 404);
    assert.equal((await api.delete(`/v1/releases/${draft.id}`)).status, 404, 'a second delete finds nothing');
    for (const f of files) assert.equal((await api.post(`/v1/artifacts/${f.body.id}/download-link`)).status, 404);
    assert.deepEqual(await db.selectFrom('artifacts').select('id').where('release_id', '=', draft.id).execute(), []);
    for (const key of keys) assert.equal(await exists(key), false, 'the stored file is gone');
    const audit = await api.get(`/v1/events?targetId=${draft.id}&action=release.deleted`);
    assert.equal(audit.body.data.length, 1);
    assert.equal(audit.body.data[0].before.version, '2.0.0-draft');
    for (const f of files) assert.equal((await api.get(`/v1/events?targetId=${f.body.id}&action=artifact.deleted`)).body.data.length, 1);
  });

  test('entitlement matrix: feature-gated release, other organization, no license, license keys; yanked and draft not downloadable', async () => {
    const api = ctx.api;
    const { product, policy, customer, license } = await factories.world(api, { features: ['base'] });
    const plain = await release(api, product.id, '1.0.0');
    const gated = await release(api, product.id, '2.0.0', { requirements: ['pro'] });
    const draft = await release(api, product.id, '3.0.0', {}, false);
    const art = async (r: any) => (await upload(r.id, Buffer.from(`bytes of ${r.version}`))).body.id as string;
    const [plainArt, gatedArt, draftArt] = [await art(plain), await art(gated), await art(draft)];

    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id);
    const mine = client(ctx.t.app, member.token);
    assert.equal((await mine.post(`/v1/artifacts/${plainArt}/download-link`)).status, 200);
    assert.deepEqual((await mine.post(`/v1/artifacts/${gatedArt}/download-link`)).body.error.code, 'NOT_ENTITLED');
    assert.equal((await mine.post(`/v1/artifacts/${draftArt}/download-link`)).status, 404, 'a draft is invisible to customers');

    const stranger = await factories.customer(api);
    const other = client(ctx.t.app, (await factories.signedInUser(api, ctx.t.app, 'customer-member', stranger.id)).token);
    assert.equal((await other.post(`/v1/artifacts/${plainArt}/download-link`)).status, 404, 'another organization without a license sees nothing');
    assert.equal((await other.get(`/v1/releases/${plain.id}/artifacts`)).status, 404);

    const byKey = (id: string, key: string) => anon().post(`/v1/artifacts/${id}/download-link/by-key`, { key });
    assert.equal((await byKey(plainArt, license.key)).status, 200);
    assert.deepEqual([(await byKey(gatedArt, license.key)).status, (await byKey(gatedArt, license.key)).body.error.code], [403, 'NOT_ENTITLED']);
    assert.equal((await byKey(draftArt, license.key)).status, 404);
    const noKey = await byKey(plainArt, 'KH-NOT-A-KEY');
    assert.deepEqual([noKey.status, noKey.body.error.code], [400, 'VALIDATION_FAILED'], noKey.raw);
    const pro = await factories.license(api, policy.id, { features: ['base', 'pro'] });
    const proLink = await byKey(gatedArt, pro.key);
    assert.equal(proLink.status, 200, proLink.raw);
    const otherProduct = await factories.world(api);
    assert.equal((await byKey(plainArt, otherProduct.license.key)).status, 403, 'a key of another product');

    // A link made before a yank is not served to customers once yanked.
    const before = await byKey(plainArt, license.key);
    assert.equal((await api.post(`/v1/releases/${plain.id}/actions/yank`, { reason: 'bad build' })).status, 200);
    const refused = await fetchUrl(before.body.url);
    assert.deepEqual([refused.statusCode, JSON.parse(refused.body).error.code], [403, 'NOT_ENTITLED']);
    assert.equal((await byKey(plainArt, license.key)).status, 404);
    assert.equal((await api.post(`/v1/artifacts/${plainArt}/download-link`)).status, 200, 'staff still reach yanked artifacts');
    assert.equal((await fetchUrl(proLink.body.url)).statusCode, 200);
  });

  test('tampered and expired links are 403 DOWNLOAD_LINK_INVALID; every download is recorded with who and where', async () => {
    const api = ctx.api;
    const { product, customer, license } = await factories.world(api);
    const rel = await release(api, product.id, '1.0.0');
    const artifact = (await upload(rel.id, Buffer.from('payload'))).body;
    const other = (await upload(rel.id, Buffer.from('other payload'), { fileName: 'other.zip' })).body;
    const member = await factories.signedInUser(api, ctx.t.app, 'customer-member', customer.id);
    const userLink = (await client(ctx.t.app, member.token).post(`/v1/artifacts/${artifact.id}/download-link`)).body;
    const keyLink = (await anon().post(`/v1/artifacts/${artifact.id}/download-link/by-key`, { key: license.key })).body;
    const first = await fetchUrl(userLink.url);
    assert.equal(first.statusCode, 200, first.body + userLink.url);
    assert.equal((await fetchUrl(keyLink.url)).statusCode, 200);

    const url = new URL(keyLink.url);
    const tamper = (name: string, value: string | null) => {
      const u = new URL(url);
      if (value === null) u.searchParams.delete(name);
      else u.searchParams.set(name, value);
      return u.toString();
    };
    const s = url.searchParams.get('s')!;
    for (const bad of [
      tamper('e', String(Number(url.searchParams.get('e')) + 86_400)),
      tamper('s', `${s.slice(0, -1)}${s.endsWith('0') ? '1' : '0'}`),
      tamper('l', null),
      tamper('t', 'staff'),
      url.toString().replace(artifact.id, other.id),
    ]) {
      const res = await fetchUrl(bad);
      assert.deepEqual([res.statusCode, JSON.parse(res.body).error.code], [403, 'DOWNLOAD_LINK_INVALID'], bad);
    }
    ctx.t.clock.advance(601_000);
    const expired = await fetchUrl(keyLink.url);
    assert.deepEqual([expired.statusCode, JSON.parse(expired.body).error.code], [403, 'DOWNLOAD_LINK_INVALID']);

    const downloads = await api.get(`/v1/artifacts/${artifact.id}/downloads`);
    assert.equal(downloads.status, 200);
    assert.deepEqual(
      downloads.body.data.map((d: any) => [d.actorType, d.actorId, d.licenseId]).sort(),
      [['license', null, license.id], ['user', member.user.id, license.id]].sort(),
    );
    assert.ok(downloads.body.data.every((d: any) => d.ip && d.createdAt));
    assert.equal((await client(ctx.t.app, member.token).get(`/v1/artifacts/${artifact.id}/downloads`)).status, 403, 'customers do not read the record');
  });

  test('artifacts and downloads list as {data, nextCursor} pages like every other list', async () => {
    const api = ctx.api;
    const { product, license } = await factories.world(api);
    const rel = await release(api, product.id, '2.0.0');
    const ids: string[] = [];
    for (const name of ['a.zip', 'b.zip', 'c.zip']) ids.push((await upload(rel.id, Buffer.from(name), { fileName: name })).body.id);
    const first = await api.get(`/v1/releases/${rel.id}/artifacts?limit=2`);
    assert.equal(first.status, 200, first.raw);
    assert.deepEqual(Object.keys(first.body).sort(), ['data', 'nextCursor']);
    assert.deepEqual(first.body.data.map((a: any) => a.id), ids.slice(0, 2));
    const second = await api.get(`/v1/releases/${rel.id}/artifacts?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual([second.body.data.map((a: any) => a.id), second.body.nextCursor], [ids.slice(2), null]);
    assert.equal((await api.get(`/v1/releases/${rel.id}/artifacts?limit=0`)).body.error.code, 'VALIDATION_FAILED');

    for (let i = 0; i < 3; i++) {
      const link = (await anon().post(`/v1/artifacts/${ids[0]}/download-link/by-key`, { key: license.key })).body;
      assert.equal((await fetchUrl(link.url)).statusCode, 200);
    }
    const downloads = await api.get(`/v1/artifacts/${ids[0]}/downloads?limit=2`);
    assert.deepEqual([Object.keys(downloads.body).sort(), downloads.body.data.length], [['data', 'nextCursor'], 2]);
    const rest = await api.get(`/v1/artifacts/${ids[0]}/downloads?limit=2&cursor=${downloads.body.nextCursor}`);
    assert.deepEqual([rest.body.data.length, rest.body.nextCursor], [1, null]);
    const all = [...downloads.body.data, ...rest.body.data].map((d: any) => d.id);
    assert.equal(new Set(all).size, 3, 'no download listed twice');
  });
});
