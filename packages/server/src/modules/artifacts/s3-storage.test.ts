// S3Storage against a real S3-compatible server (s3rver, in this process, on a free port, storing into
// a temporary directory), spoken to through the AWS SDK exactly as in production.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { StorageConfig } from '../../config.js';
import { ADMIN_TOKEN, client, factories, forEachDialect, startTestApp, type Client, type TestApp } from '../../testing/harness.js';
import { S3Storage } from './s3-storage.js';

const BUCKET = 'keyhaven-artifacts';
// s3rver checks request signatures against these fixed credentials.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const MiB = 1024 * 1024;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** `size` bytes of a pattern that differs per offset, so a misplaced part would show. */
function pattern(size: number, seed = 7): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed + (i >> 16)) & 0xff;
  return data;
}

/** The bytes as a stream of 64 KiB chunks, never one buffer. */
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

/** A source that sends `bytes` and then fails as a dropped connection does. */
function failingAfter(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return this.destroy(new Error('connection reset'));
      const part = Math.min(64 * 1024, bytes - sent);
      sent += part;
      this.push(Buffer.alloc(part, 5));
    },
  });
}

/**
 * A refused source is handed back for draining (so an HTTP client reads its 413) instead of being
 * destroyed: it must reach its end without an error.
 */
async function drained(source: Readable): Promise<void> {
  assert.equal(source.errored, null, 'the source was not destroyed with an error');
  if (source.readableEnded) return;
  const timer = setTimeout(() => source.emit('error', new Error('the source was left paused, never drained')), 5000);
  try {
    await once(source, 'end');
  } finally {
    clearTimeout(timer);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

let server: S3rver;
let directory: string;
let endpoint: string;
let admin: S3Client;

before(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'kh-s3rver-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const address = await server.run();
  endpoint = `http://127.0.0.1:${address.port}`;
  admin = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS });
});

after(async () => {
  admin?.destroy();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

const s3Config = (prefix: string): Extract<StorageConfig, { driver: 's3' }> => ({
  driver: 's3',
  bucket: BUCKET,
  region: 'us-east-1',
  endpoint,
  prefix,
  forcePathStyle: true,
  credentials: CREDENTIALS,
});

/** Every object name in the bucket under `prefix`, through ListObjectsV2. */
async function listed(prefix: string): Promise<string[]> {
  const res = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
}

interface Sent {
  name: string;
  uploadId: string | undefined;
  /** What `progress` said when the operation was sent. */
  at: number;
}

/** The S3 operations a storage's client sends, in order, with the upload id they name. */
function recordCommands(storage: S3Storage, progress: () => number = () => 0): Sent[] {
  const seen: Sent[] = [];
  storage.client.middlewareStack.add(
    (next, context) => async (args) => {
      const at = progress();
      const result = await next(args).catch((error: unknown) => {
        seen.push({ name: `${context.commandName} failed`, uploadId: (args.input as { UploadId?: string }).UploadId, at });
        throw error;
      });
      const output = result.output as { UploadId?: string };
      seen.push({ name: context.commandName!, uploadId: (args.input as { UploadId?: string }).UploadId ?? output.UploadId, at });
      return result;
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return seen;
}

describe('S3 storage driver (s3rver)', () => {
  test('put hashes and measures while streaming; get streams the object with its length; delete removes it', async () => {
    const storage = new S3Storage(s3Config('roundtrip'));
    const data = Buffer.from('hello artifact on S3');
    const stored = await storage.put(chunks(data, 3), { maxBytes: 100 });
    assert.match(stored.key, /^[a-f0-9]{32}$/);
    assert.deepEqual([stored.size, stored.sha256], [data.length, sha(data)]);
    assert.deepEqual(await listed('roundtrip'), [`roundtrip/${stored.key}`], 'the object is under the prefix and its random key');

    const back = await storage.get(stored.key);
    assert.equal(back.size, data.length);
    assert.deepEqual(await readAll(back.stream), data);

    const empty = await storage.put(chunks(Buffer.alloc(0)), { maxBytes: 100 });
    assert.deepEqual([empty.size, empty.sha256], [0, sha(Buffer.alloc(0))]);
    assert.equal((await storage.get(empty.key)).size, 0);

    await storage.delete(stored.key);
    await storage.delete(empty.key);
    assert.deepEqual(await listed('roundtrip'), []);
    await storage.delete(stored.key); // deleting what is gone is not an error, as with local files
    await assert.rejects(storage.get('../../etc/passwd'), /invalid storage key/);
  });

  test('a 12 MB file goes up in parts, streamed, and comes back byte for byte', async () => {
    const storage = new S3Storage(s3Config('large'));
    const data = pattern(12 * MiB + 12_345);
    const source = chunks(data);
    let read = 0;
    source.on('data', (chunk: Buffer) => (read += chunk.length));
    const seen = recordCommands(storage, () => read);
    const stored = await storage.put(source, { maxBytes: 64 * MiB });
    assert.deepEqual([stored.size, stored.sha256], [data.length, sha(data)]);
    const names = seen.map((c) => c.name);
    assert.equal(names.filter((n) => n === 'UploadPartCommand').length, 3, names.join());
    assert.deepEqual([names[0], names.at(-1)], ['CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand']);
    assert.ok(!names.includes('PutObjectCommand'));
    // Streamed, not buffered whole: the upload began when only part of the file had been read.
    assert.ok(seen[0]!.at < 8 * MiB, `the first request went out after ${seen[0]!.at} bytes`);

    const back = await storage.get(stored.key);
    assert.equal(back.size, data.length, 'ContentLength of the object');
    const bytes = await readAll(back.stream);
    assert.equal(sha(bytes), sha(data));
    assert.ok(bytes.equals(data));
    await storage.delete(stored.key);
  });

  test('above maxBytes: PAYLOAD_TOO_LARGE, the multipart upload is aborted, nothing is listed, and the source is drained, not destroyed', async () => {
    const storage = new S3Storage(s3Config('too-large'));
    const seen = recordCommands(storage);

    const small = chunks(Buffer.alloc(10_000));
    await assert.rejects(storage.put(small, { maxBytes: 5_000 }), (e: any) => e.code === 'PAYLOAD_TOO_LARGE');
    assert.equal(seen.length, 0, 'below one part nothing was sent at all');
    await drained(small);

    // Past the first 5 MiB part, so a multipart upload exists and must be aborted.
    const large = chunks(pattern(7 * MiB));
    await assert.rejects(storage.put(large, { maxBytes: 6 * MiB }), (e: any) => e.code === 'PAYLOAD_TOO_LARGE');
    await drained(large);
    const created = seen.find((c) => c.name === 'CreateMultipartUploadCommand');
    assert.ok(created?.uploadId, seen.map((c) => c.name).join());
    assert.ok(
      seen.some((c) => c.name.startsWith('AbortMultipartUploadCommand') && c.uploadId === created.uploadId),
      `the upload is aborted: ${seen.map((c) => c.name).join()}`,
    );
    assert.ok(!seen.some((c) => c.name === 'CompleteMultipartUploadCommand'), 'never completed');
    assert.deepEqual(await listed('too-large'), []);
  });

  test('a source that fails mid-way leaves nothing: its error is the answer and the upload is aborted', async () => {
    const storage = new S3Storage(s3Config('broken'));
    const seen = recordCommands(storage);
    await assert.rejects(storage.put(failingAfter(3 * 1024), { maxBytes: 64 * MiB }), /connection reset/);
    await assert.rejects(storage.put(failingAfter(6 * MiB), { maxBytes: 64 * MiB }), /connection reset/);
    const created = seen.find((c) => c.name === 'CreateMultipartUploadCommand');
    assert.ok(created?.uploadId);
    assert.ok(seen.some((c) => c.name.startsWith('AbortMultipartUploadCommand') && c.uploadId === created.uploadId));
    assert.ok(!seen.some((c) => c.name === 'CompleteMultipartUploadCommand' || c.name === 'PutObjectCommand'));
    assert.deepEqual(await listed('broken'), []);
  });
});

forEachDialect('artifacts on S3 storage, through the HTTP API', (dialect) => {
  const prefix = `e2e-${dialect}`;
  let t: TestApp;
  let api: Client;
  before(async () => {
    t = await startTestApp(dialect, { config: { storage: s3Config(prefix), artifactMaxBytes: 16 * MiB } });
    api = client(t.app);
  });
  after(async () => t?.close());

  async function release(): Promise<string> {
    const product = await factories.product(api);
    const res = await api.post('/v1/releases', { productId: product.id, version: '1.0.0' });
    assert.equal(res.status, 201, res.raw);
    return res.body.id;
  }

  async function upload(releaseId: string, data: Buffer | Readable, query: Record<string, string> = {}) {
    const qs = new URLSearchParams({ platform: 'linux', arch: 'x64', fileType: 'tar.gz', fileName: 'app-linux-x64.tar.gz', ...query });
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/releases/${releaseId}/artifacts?${qs}`,
      payload: data,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, raw: res.body };
  }

  test('upload streams into the bucket; a signed link downloads the same bytes; refused uploads keep no object; delete removes it', async () => {
    const releaseId = await release();
    const data = pattern(6 * MiB + 321, 11);
    const res = await upload(releaseId, chunks(data), { sha256: sha(data) });
    assert.equal(res.status, 201, res.raw);
    assert.deepEqual([res.body.size, res.body.sha256], [data.length, sha(data)]);
    const objects = await listed(prefix);
    assert.equal(objects.length, 1);

    const link = await api.post(`/v1/artifacts/${res.body.id}/download-link`);
    assert.equal(link.status, 200, link.raw);
    const url = new URL(link.body.url);
    const file = await t.app.inject({ method: 'GET', url: url.pathname + url.search });
    assert.equal(file.statusCode, 200);
    assert.equal(file.headers['content-length'], String(data.length));
    assert.equal(file.headers['x-checksum-sha256'], sha(data));
    assert.ok(file.rawPayload.equals(data), 'the same bytes come back from the bucket');

    const wrong = await upload(releaseId, chunks(pattern(6 * MiB, 3)), { sha256: sha(data), fileName: 'other.tar.gz' });
    assert.deepEqual([wrong.status, wrong.body.error.code], [400, 'CHECKSUM_MISMATCH']);
    const tooBig = await upload(releaseId, chunks(Buffer.alloc(16 * MiB + 1)), { fileName: 'big.tar.gz' });
    assert.deepEqual([tooBig.status, tooBig.body.error.code], [413, 'PAYLOAD_TOO_LARGE']);
    assert.deepEqual(await listed(prefix), objects, 'the mismatched and the oversized upload left no object');
    assert.equal((await api.get(`/v1/releases/${releaseId}/artifacts`)).body.data.length, 1);

    assert.equal((await api.delete(`/v1/artifacts/${res.body.id}`)).status, 204);
    assert.deepEqual(await listed(prefix), []);
  });

  test('a name above U+00FF downloads from the bucket with its RFC 5987 filename*; a vanished object is no download', async () => {
    const releaseId = await release();
    const fileName = '安装程序 🚀 é\u0301.tar.gz';
    const data = pattern(MiB + 17);
    const res = await upload(releaseId, data, { fileName });
    assert.equal(res.status, 201, res.raw);
    const download = async () => {
      const url = new URL((await api.post(`/v1/artifacts/${res.body.id}/download-link`)).body.url);
      return t.app.inject({ method: 'GET', url: url.pathname + url.search }).catch(() => undefined);
    };
    const file = (await download())!;
    assert.equal(file.statusCode, 200);
    assert.ok(file.rawPayload.equals(data));
    const star = /filename\*=UTF-8''([^;\s]+)/.exec(String(file.headers['content-disposition']));
    assert.equal(star && decodeURIComponent(star[1]!), fileName);
    const recorded = async () => (await api.get(`/v1/artifacts/${res.body.id}/downloads`)).body.data.length as number;
    assert.equal(await recorded(), 1);
    for (const key of await listed(prefix)) await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const failed = await download();
    assert.ok(!failed || failed.statusCode >= 500 || failed.rawPayload.length < data.length, 'not served');
    assert.equal(await recorded(), 1, 'the failed attempt is not recorded');
  });

  test('over a real socket: a client that aborts mid-upload leaves no object, and the server keeps serving', async () => {
    const releaseId = await release();
    const before = await listed(prefix);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const url = new URL(`/v1/releases/${releaseId}/artifacts?platform=linux&arch=x64&fileType=zip&fileName=partial.zip`, address);
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream', 'content-length': String(12 * MiB) } });
      req.on('error', () => resolve());
      // Past the first part, so the server has a multipart upload open when the client goes away.
      req.write(pattern(6 * MiB), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 200));
    });
    let items: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      items = (await api.get(`/v1/releases/${releaseId}/artifacts`)).body.data;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.deepEqual(items, []);
    assert.deepEqual(await listed(prefix), before, 'no object for the aborted upload');
    const ok = await upload(releaseId, Buffer.from('after the abort'));
    assert.equal(ok.status, 201, ok.raw);
  });
});
