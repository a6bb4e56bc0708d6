import { createHash, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { verifyEd25519 } from './crypto.js';
import { KeyhavenError, KeyhavenSdkError, NetworkError, UpdateVerificationError } from './errors.js';
import type { DownloadableArtifact, DownloadedUpdate, DownloadUpdateOptions } from './types.js';

/** What downloadUpdate borrows from the client. */
export interface DownloadContext {
  fetch: (input: string, init: { method: string; headers: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;
  baseUrl: URL;
  key: KeyObject;
  keyId: string;
  /** Longest wait for the answer's headers, and for each next chunk (a stalled transfer). */
  stallMs: number;
  userAgent: string | undefined;
}

const SHA256 = /^[a-f0-9]{64}$/;

/**
 * Streams an artifact to `destination.part` while hashing it, then checks size, SHA-256 (the artifact's
 * and the server's X-Checksum-Sha256) and that the signature of the SHA-256 verifies with the embedded key;
 * only then renames it to `destination`. The key and signature are checked before the first byte is asked
 * for, so a forged artifact description costs no download.
 */
export async function downloadUpdate(ctx: DownloadContext, artifact: DownloadableArtifact, options: DownloadUpdateOptions): Promise<DownloadedUpdate> {
  if (!artifact || typeof artifact.url !== 'string') throw new TypeError('downloadUpdate: artifact.url is required');
  if (!options || typeof options.destination !== 'string' || options.destination === '') throw new TypeError('downloadUpdate: options.destination is required');
  if (!Number.isSafeInteger(artifact.size) || artifact.size < 0) throw new TypeError('downloadUpdate: artifact.size must be a whole number of bytes');
  const expected = String(artifact.sha256).toLowerCase();
  if (!SHA256.test(expected)) throw new TypeError('downloadUpdate: artifact.sha256 must be a hex SHA-256');
  if (artifact.keyId !== ctx.keyId) {
    throw new UpdateVerificationError('key', `The artifact is signed with key ${artifact.keyId}; the embedded key is ${ctx.keyId}`);
  }
  if (!verifyEd25519(ctx.key, artifact.sha256, artifact.signature)) {
    throw new UpdateVerificationError('signature', 'The artifact signature does not verify with the embedded public key');
  }

  const url = new URL(artifact.url, ctx.baseUrl).toString();
  const destination = path.resolve(options.destination);
  const part = `${destination}.part`;
  const controller = new AbortController();
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort(new NetworkError(`The download stalled: nothing received for ${ctx.stallMs} ms`));
    }, ctx.stallMs);
  };
  const onAbort = () => controller.abort(options.signal!.reason);
  if (options.signal?.aborted) throw options.signal.reason;
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let partCreated = false;
  try {
    arm();
    const headers: Record<string, string> = { accept: '*/*' };
    if (ctx.userAgent) headers['user-agent'] = ctx.userAgent;
    let response: Response;
    try {
      response = await ctx.fetch(url, { method: 'GET', headers, signal: controller.signal });
    } catch (error) {
      throw networkError(error, url);
    }
    if (!response.ok) throw await httpError(response);
    const length = response.headers.get('content-length');
    if (length !== null && Number(length) !== artifact.size) {
      throw new UpdateVerificationError('size', `The server sends ${length} bytes; the artifact has ${artifact.size}`);
    }
    const announced = response.headers.get('x-checksum-sha256');
    if (announced !== null && announced.toLowerCase() !== expected) {
      throw new UpdateVerificationError('checksum', `The server announces SHA-256 ${announced}; the artifact has ${expected}`);
    }
    if (!response.body) throw new NetworkError('The download answer has no body');

    await mkdir(path.dirname(destination), { recursive: true });
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        arm();
        received += chunk.length;
        if (received > artifact.size) return done(new UpdateVerificationError('size', `More than the artifact's ${artifact.size} bytes came`));
        hash.update(chunk);
        try {
          options.onProgress?.({ received, total: artifact.size });
        } catch (error) {
          return done(error as Error);
        }
        done(null, chunk);
      },
    });
    partCreated = true;
    try {
      await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>), meter, createWriteStream(part, { mode: 0o600 }));
    } catch (error) {
      throw networkError(error, url);
    }
    if (received !== artifact.size) throw new UpdateVerificationError('size', `Received ${received} bytes; the artifact has ${artifact.size}`);
    const actual = hash.digest('hex');
    if (actual !== expected) throw new UpdateVerificationError('checksum', `The file has SHA-256 ${actual}, not the artifact's ${expected}`);
    await rename(part, destination);
    partCreated = false;
    return { path: destination, size: received, sha256: actual };
  } catch (error) {
    if (partCreated) await rm(part, { force: true });
    if (options.signal?.aborted && !stalled) throw options.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }

  function networkError(error: unknown, target: string): unknown {
    if (error instanceof KeyhavenSdkError || options.signal?.aborted) return error;
    if (stalled) return controller.signal.reason;
    return new NetworkError(`The download from ${new URL(target).origin} failed: ${(error as Error)?.message ?? String(error)}`, undefined, { cause: error });
  }
}

/** A download answers errors as `{error: {code, message}}`, unsigned (it is not a client operation): 4xx → KeyhavenError, 5xx → NetworkError. */
async function httpError(response: Response): Promise<KeyhavenSdkError> {
  const text = await response.text().catch(() => '');
  if (response.status >= 500) return new NetworkError(`The download server is unavailable (HTTP ${response.status})`, response.status);
  let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const error = parsed?.error;
  const retry = response.headers.get('retry-after');
  return new KeyhavenError(
    typeof error?.code === 'string' ? error.code : `HTTP_${response.status}`,
    typeof error?.message === 'string' ? error.message : `The download server answered HTTP ${response.status}`,
    response.status,
    error?.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : undefined,
    retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined,
  );
}
