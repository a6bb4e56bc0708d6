import assert from 'node:assert/strict';
import { truncate } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { ADMIN_TOKEN, client, factories, forEachDialect, useTestApp, type Client } from '../../testing/harness.js';
import { contentDisposition } from './artifacts.routes.js';
import { checkFileName } from './artifacts.service.js';

/** The exact name a browser saves under: `filename*` decoded (RFC 5987), and the ASCII fallback. */
function savedName(header: string): { exact: string; fallback: string } {
  const star = /filename\*=UTF-8''([^;\s]+)/.exec(header);
  const plain = /filename="([^"]*)"/.exec(header);
  assert.ok(star && plain, header);
  assert.match(star[1]!, /^[A-Za-z0-9!#$&+\-.^_`|~%]+$/, 'filename* holds only RFC 5987 attr-chars and %XX');
  return { exact: decodeURIComponent(star[1]!), fallback: plain[1]! };
}

const NAMES = [
  '安装程序-1.0.zip', // CJK
  'release 🚀 build.tar.gz', // emoji (outside the BMP)
  'Café-Ñandú.dmg', // Latin-1 letters
  'e\u0301le\u0300ve.msi', // combining marks
  "it's (final) *v2*.zip", // characters encodeURIComponent leaves alone but RFC 5987 does not
  'ÿ-last-latin1.bin',
];

test('file names: bidi controls, line separators, C1 controls and lone surrogates are refused; any script is accepted', () => {
  for (const bad of [
    'invoice\u202Eexe.pdf',
    'a\u202Ab.zip',
    'a\u2066b.zip',
    'a\u2069b.zip',
    'a\u200Eb.zip',
    'a\u200Fb.zip',
    'a\u061Cb.zip',
    'line\u2028two.zip',
    'para\u2029two.zip',
    'c1\u0085.zip',
    'c1\u009b.zip',
    'lone\ud800.zip',
    'lone\udc00.zip',
  ]) {
    assert.throws(() => checkFileName(bad), (e: any) => e.code === 'INVALID_FILE_NAME', JSON.stringify(bad));
  }
  for (const good of NAMES) assert.equal(checkFileName(good), good);
});

test('Content-Disposition: Latin-1 only, ASCII fallback, exact name in filename*', () => {
  for (const name of [...NAMES, 'quote"back\\slash.zip']) {
    const header = contentDisposition(name);
    assert.match(header, /^attachment; /);
    assert.match(header, /^[\x20-\x7e]*$/, 'nothing a header cannot carry');
    const { exact, fallback } = savedName(header);
    assert.equal(exact, name);
    assert.doesNotMatch(fallback, /["\\]/);
  }
});

forEachDialect('artifact names above U+00FF and the download record', (dialect) => {
  const ctx = useTestApp(dialect);

  async function publishedArtifact(api: Client, fileName: string, data: Buffer) {
    const { product, license } = await factories.world(api);
    const rel = await api.post('/v1/releases', { productId: product.id, version: '1.0.0' });
    assert.equal((await api.post(`/v1/releases/${rel.body.id}/actions/publish`)).status, 200);
    const res = await upload(rel.body.id, data, fileName);
    assert.equal(res.statusCode, 201, res.body);
    return { artifact: JSON.parse(res.body), license, releaseId: rel.body.id as string };
  }

  function upload(releaseId: string, data: Buffer, fileName: string) {
    const qs = new URLSearchParams({ platform: 'linux', arch: 'x64', fileType: 'zip', fileName });
    return ctx.t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${releaseId}/artifacts?${qs}`,
      payload: data,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
  }

  const linkFor = async (artifactId: string, key: string) => {
    const res = await client(ctx.t.app, undefined).post(`/v1/artifacts/${artifactId}/download-link/by-key`, { key });
    assert.equal(res.status, 200, res.raw);
    const url = new URL(res.body.url);
    return url.pathname + url.search;
  };
  const recorded = async (artifactId: string) => (await ctx.api.get(`/v1/artifacts/${artifactId}/downloads`)).body.data.length as number;

  test('CJK, emoji and combining-mark names download intact with an RFC 6266 header; each served download is recorded once', async () => {
    for (const fileName of NAMES) {
      const data = Buffer.from(`bytes of ${fileName}`);
      const { artifact, license } = await publishedArtifact(ctx.api, fileName, data);
      assert.equal(artifact.fileName, fileName);
      const file = await ctx.t.app.inject({ method: 'GET', url: await linkFor(artifact.id, license.key) });
      assert.equal(file.statusCode, 200, `${fileName}: ${file.body}`);
      assert.ok(file.rawPayload.equals(data), `${fileName}: the same bytes come back`);
      assert.equal(savedName(String(file.headers['content-disposition'])).exact, fileName);
      const bundle = await ctx.t.app.inject({ method: 'GET', url: `${await linkFor(artifact.id, license.key)}&format=bundle` });
      assert.equal(bundle.statusCode, 200, `${fileName} bundle: ${bundle.body}`);
      assert.equal(savedName(String(bundle.headers['content-disposition'])).exact, `${fileName}.khbundle.tar`);
      const head = await ctx.t.app.inject({ method: 'HEAD', url: await linkFor(artifact.id, license.key) });
      assert.equal(head.statusCode, 200);
      assert.equal(head.rawPayload.length, 0);
      assert.equal(head.headers['content-length'], String(data.length), 'a HEAD announces the size of the file');
      assert.equal(await recorded(artifact.id), 2, `${fileName}: file and bundle recorded once each (a HEAD is no download)`);
    }
  });

  test('bidi controls and line separators in a name are refused at upload with 400 INVALID_FILE_NAME', async () => {
    const { product } = await factories.world(ctx.api);
    const rel = (await ctx.api.post('/v1/releases', { productId: product.id, version: '1.0.0' })).body;
    for (const fileName of ['invoice\u202Eexe.pdf', 'a\u2066b.zip', 'a\u200Fb.zip', 'line\u2028two.zip', 'para\u2029two.zip', 'c1\u0085.zip']) {
      const res = await upload(rel.id, Buffer.from('x'), fileName);
      assert.deepEqual([res.statusCode, JSON.parse(res.body).error.code], [400, 'INVALID_FILE_NAME'], JSON.stringify(fileName));
    }
    assert.equal((await ctx.api.get(`/v1/releases/${rel.id}/artifacts`)).body.data.length, 0);
  });

  test('a download the storage cannot complete (short or missing file) is not recorded', async () => {
    const data = Buffer.alloc(256 * 1024, 3);
    const { artifact, license, releaseId } = await publishedArtifact(ctx.api, '损坏.bin', data);
    const [record] = (await ctx.t.services.artifacts.filesOf(releaseId)).filter((a) => a.id === artifact.id);
    const file = path.join(ctx.t.deps.config.dataDir, 'artifacts', 'objects', record!.storageKey);
    await truncate(file, 1000);
    // The response may end short or fail outright; either way it is not a download.
    const short = await ctx.t.app.inject({ method: 'GET', url: await linkFor(artifact.id, license.key) }).catch(() => undefined);
    assert.ok(!short || short.rawPayload.length < data.length, 'never served whole');
    await ctx.t.app.inject({ method: 'GET', url: `${await linkFor(artifact.id, license.key)}&format=bundle` }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await recorded(artifact.id), 0, 'a short file is not a download');
  });

  test('over a real socket: a client that aborts the download leaves no record; a complete one leaves one', async () => {
    const data = Buffer.alloc(4 * 1024 * 1024 - 1, 9);
    const { artifact, license } = await publishedArtifact(ctx.api, 'große-datei-大.bin', data);
    const base = await ctx.t.app.listen({ port: 0, host: '127.0.0.1' });
    const get = (url: string, abortAfterFirstChunk: boolean) =>
      new Promise<{ status: number; bytes: number; disposition: string }>((resolve, reject) => {
        const req = http.get(new URL(url, base), (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (abortAfterFirstChunk) {
              req.destroy();
              resolve({ status: res.statusCode!, bytes, disposition: String(res.headers['content-disposition']) });
            }
          });
          res.on('end', () => resolve({ status: res.statusCode!, bytes, disposition: String(res.headers['content-disposition']) }));
          res.on('error', () => undefined);
        });
        req.on('error', (error) => (abortAfterFirstChunk ? undefined : reject(error)));
      });
    for (const format of ['', '&format=bundle']) {
      const aborted = await get((await linkFor(artifact.id, license.key)) + format, true);
      assert.equal(aborted.status, 200);
      assert.ok(aborted.bytes < data.length, 'the client went away before the end');
    }
    // The server notices the abort (its stream is destroyed); give it the time to, then check.
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(await recorded(artifact.id), 0, 'aborted downloads are not recorded');
    const whole = await get(await linkFor(artifact.id, license.key), false);
    assert.deepEqual([whole.status, whole.bytes], [200, data.length]);
    assert.equal(savedName(whole.disposition).exact, 'große-datei-大.bin');
    assert.equal(await recorded(artifact.id), 1);
  });
});
