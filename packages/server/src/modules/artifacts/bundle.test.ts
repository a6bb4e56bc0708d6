import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { entryHeader, tarLength, tarStream, type TarEntry } from './bundle.js';

const run = promisify(execFile);
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const MTIME = new Date('2026-03-01T12:00:00.000Z');

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Writes `archive` to a temp dir, extracts it with the system tar, and returns every extracted file by path. */
async function extract(archive: Buffer): Promise<{ files: Map<string, Buffer>; listing: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kh-tar-'));
  try {
    const file = path.join(dir, 'archive.tar');
    await writeFile(file, archive);
    const out = path.join(dir, 'out');
    await run('mkdir', [out]);
    await run('tar', ['-xf', file, '-C', out]);
    const listing = (await run('tar', ['-tf', file])).stdout.split('\n').filter(Boolean);
    const files = new Map<string, Buffer>();
    for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = path.join(entry.parentPath, entry.name);
      files.set(path.relative(out, full).split(path.sep).join('/'), await readFile(full));
    }
    return { files, listing };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `data` as a stream of small chunks, so the writer sees many reads. */
const chunked = (data: Buffer, size = 1000) => () => Readable.from((function* () {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
})());

test('tar writer: the system tar extracts every entry byte for byte; the length is known up front', async () => {
  const payload = Buffer.alloc(70_001);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 131 + 17) & 0xff;
  const longName = `payload/${'very-long-file-name-'.repeat(8)}ünïcode.tar.gz`; // > 100 bytes: prefix split
  const tooLong = `payload/${'x'.repeat(200)}.bin`; // the name alone is > 100 bytes: pax path record
  const entries: TarEntry[] = [
    { name: 'manifest.json', size: 13, body: Buffer.from('{"a":"json"}\n') },
    { name: 'empty', size: 0, body: Buffer.alloc(0) },
    { name: 'block.bin', size: 512, body: Buffer.alloc(512, 9) },
    { name: 'payload/app.bin', size: payload.length, body: chunked(payload) },
    { name: longName, size: 3, body: Buffer.from('abc') },
    { name: tooLong, size: 4, body: chunked(Buffer.from('wxyz'), 1) },
  ];
  const archive = await collect(tarStream(entries, MTIME));
  assert.equal(archive.length, tarLength(entries, MTIME), 'Content-Length computed before streaming matches');
  assert.equal(archive.length % 512, 0);
  assert.ok(archive.subarray(-1024).equals(Buffer.alloc(1024)), 'two zero blocks end the archive');
  const { files, listing } = await extract(archive);
  assert.deepEqual(listing, entries.map((e) => e.name), 'entries in order, names intact');
  for (const entry of entries) {
    const expected = Buffer.isBuffer(entry.body) ? entry.body : await collect(entry.body());
    assert.ok(files.get(entry.name)?.equals(expected), entry.name);
  }
  // GNU tar checks each header checksum: a changed header byte makes it refuse the archive.
  const broken = Buffer.from(archive);
  broken[3] = broken[3]! ^ 0x01;
  await assert.rejects(extract(broken));
});

test('tar writer: sizes above 8 GiB go into a pax size record', () => {
  const header = entryHeader({ name: 'payload/huge.img', size: 2 ** 33 + 5 }, MTIME);
  assert.equal(header.length, 3 * 512, 'pax header, its data, the ustar header');
  assert.equal(String.fromCharCode(header[156]!), 'x');
  assert.match(header.subarray(512, 1024).toString('utf8'), /^\d+ size=8589934597\n/);
  const [length] = header.subarray(512, 1024).toString('utf8').split(' ');
  assert.equal(Number(length), Buffer.byteLength('size=8589934597\n') + length!.length + 1, 'the record length counts itself');
});

test('tar writer: a body shorter or longer than declared fails the stream', async () => {
  await assert.rejects(collect(tarStream([{ name: 'a', size: 10, body: chunked(Buffer.alloc(9)) }], MTIME)), /9 bytes, declared 10/);
  await assert.rejects(collect(tarStream([{ name: 'a', size: 10, body: chunked(Buffer.alloc(11), 4) }], MTIME)), /more than the declared 10/);
});

test('tar writer: a 512 MiB payload streams through in flat memory', async () => {
  const chunk = Buffer.alloc(1024 * 1024, 3);
  const total = 512;
  const source = () => Readable.from((function* () {
    for (let i = 0; i < total; i++) yield chunk;
  })());
  const entries: TarEntry[] = [{ name: 'payload/big.bin', size: total * chunk.length, body: source }];
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let bytes = 0;
  for await (const part of tarStream(entries, MTIME)) {
    bytes += (part as Buffer).length;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - baseline);
  }
  assert.equal(bytes, tarLength(entries, MTIME));
  assert.ok(peak < 64 * 1024 * 1024, `peak buffer memory ${Math.round(peak / 1024 / 1024)} MiB`);
});

forEachDialect('offline update bundle download', (dialect) => {
  const ctx = useTestApp(dialect);
  const anon = () => client(ctx.t.app, undefined);

  async function publishedArtifact(data: Buffer, fileName: string) {
    const { product, license } = await factories.world(ctx.api);
    const rel = await ctx.api.post('/v1/releases', { productId: product.id, version: '2.1.0', channel: 'beta', notes: '## 2.1.0\n- bundles' });
    assert.equal(rel.status, 201, rel.raw);
    assert.equal((await ctx.api.post(`/v1/releases/${rel.body.id}/actions/publish`)).status, 200);
    const qs = new URLSearchParams({ platform: 'windows', arch: 'x64', fileType: 'msi', fileName });
    const res = await ctx.t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${rel.body.id}/artifacts?${qs}`,
      payload: data,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
    assert.equal(res.statusCode, 201, res.body);
    return { product, license, release: rel.body, artifact: JSON.parse(res.body) };
  }

  const get = (url: string) => {
    const parsed = new URL(url);
    return ctx.t.app.inject({ method: 'GET', url: parsed.pathname + parsed.search });
  };

  test('format=bundle: manifest, its signature and the payload in a tar; recorded like a download', async () => {
    const data = Buffer.alloc(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    const { product, license, release, artifact } = await publishedArtifact(data, 'Setup 2.1.0.msi');
    const link = await anon().post(`/v1/artifacts/${artifact.id}/download-link/by-key`, { key: license.key });
    assert.equal(link.status, 200, link.raw);

    const res = await get(`${link.body.url}&format=bundle`);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/x-tar');
    assert.equal(res.headers['content-length'], String(res.rawPayload.length));
    assert.match(String(res.headers['content-disposition']), /attachment; filename="Setup 2.1.0.msi.khbundle.tar"/);

    const { files, listing } = await extract(res.rawPayload);
    assert.deepEqual(listing, ['manifest.json', 'manifest.sig', 'payload/Setup 2.1.0.msi']);
    assert.ok(files.get('payload/Setup 2.1.0.msi')!.equals(data), 'the payload is the artifact, byte for byte');
    const manifestBytes = files.get('manifest.json')!;
    const key = createPublicKey(ctx.t.deps.signer.publicKeyPem);
    assert.ok(verify(null, manifestBytes, key, Buffer.from(files.get('manifest.sig')!.toString('utf8'), 'base64')), 'manifest.sig verifies over the exact bytes');
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    assert.deepEqual(manifest, {
      format: 'keyhaven-update-bundle/1',
      createdAt: ctx.t.clock.now().toISOString(),
      keyId: ctx.t.deps.signer.keyId,
      product: { id: product.id, code: product.code, name: product.name },
      release: { id: release.id, version: '2.1.0', channel: 'beta', publishedAt: manifest.release.publishedAt, notes: '## 2.1.0\n- bundles' },
      artifact: { id: artifact.id, fileName: 'Setup 2.1.0.msi', platform: 'windows', arch: 'x64', fileType: 'msi', size: data.length, sha256: sha(data), signature: artifact.signature },
    });
    assert.ok(manifest.release.publishedAt);
    assert.ok(verify(null, Buffer.from(manifest.artifact.sha256), key, Buffer.from(manifest.artifact.signature, 'base64')));

    // format=file is the plain download; both are recorded.
    const plain = await get(`${link.body.url}&format=file`);
    assert.ok(plain.rawPayload.equals(data));
    const downloads = await ctx.api.get(`/v1/artifacts/${artifact.id}/downloads`);
    assert.deepEqual(downloads.body.data.map((d: any) => [d.actorType, d.licenseId]), [['license', license.id], ['license', license.id]]);
  });

  test('format=bundle keeps the link rules: tampered 403, bad format 400, yanked refused to customers', async () => {
    const { license, release, artifact } = await publishedArtifact(Buffer.from('bytes'), 'app.msi');
    const link = (await anon().post(`/v1/artifacts/${artifact.id}/download-link/by-key`, { key: license.key })).body;
    const tampered = await get(`${link.url.replace(/s=([0-9a-f])/, (_m: string, c: string) => `s=${c === '0' ? '1' : '0'}`)}&format=bundle`);
    assert.deepEqual([tampered.statusCode, JSON.parse(tampered.body).error.code], [403, 'DOWNLOAD_LINK_INVALID']);
    const badFormat = await get(`${link.url}&format=zip`);
    assert.deepEqual([badFormat.statusCode, JSON.parse(badFormat.body).error.code], [400, 'VALIDATION_FAILED']);
    assert.equal((await ctx.api.post(`/v1/releases/${release.id}/actions/yank`, {})).status, 200);
    const yanked = await get(`${link.url}&format=bundle`);
    assert.deepEqual([yanked.statusCode, JSON.parse(yanked.body).error.code], [403, 'NOT_ENTITLED']);
    assert.equal((await ctx.api.get(`/v1/artifacts/${artifact.id}/downloads`)).body.data.length, 0, 'refused downloads are not recorded');
  });
});
