import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../http/errors.js';

export interface StoredObject {
  key: string;
  size: number;
  /** Hex SHA-256 of the bytes stored. */
  sha256: string;
}

/**
 * Where artifact files live. Small on purpose: the local filesystem driver below and an S3-compatible
 * driver implement the same three calls. `put` hashes while it writes and makes the object visible only
 * once the whole stream is stored; a stream that fails or exceeds `maxBytes` leaves nothing behind.
 */
export interface ArtifactStorage {
  put(stream: Readable, options: { maxBytes: number }): Promise<StoredObject>;
  get(key: string): Promise<{ stream: Readable; size: number }>;
  delete(key: string): Promise<void>;
}

const KEY = /^[a-f0-9]{32}$/;

/** A fresh storage key: 32 random hex characters, never derived from the file name. */
export function newStorageKey(): string {
  return randomBytes(16).toString('hex');
}

/** Refuses anything but a key made by `newStorageKey`, so a key can never name another object or path. */
export function checkStorageKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid storage key ${key}`);
  return key;
}

/**
 * The source as a stream a driver writes from: it counts, hashes and enforces `maxBytes` as bytes pass
 * (PAYLOAD_TOO_LARGE), and an error of the source fails it too. The source is piped, not made part of
 * the driver's pipeline, so a refusal does not destroy the request: `release()` unpipes and drains it
 * instead and the client gets its 4xx answer. `failure` is the error that ended the stream, if any, so a
 * driver reports the cause rather than a follow-up error of its own clean-up.
 */
export function meteredSource(source: Readable, maxBytes: number) {
  const hash = createHash('sha256');
  let size = 0;
  let failure: Error | undefined;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) {
        failure = new AppError('PAYLOAD_TOO_LARGE', `The artifact is larger than the limit of ${maxBytes} bytes`);
        return done(failure);
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  source.once('error', (error: Error) => {
    failure ??= error;
    body.destroy(error);
  });
  source.pipe(body);
  return {
    body,
    get failure() {
      return failure;
    },
    /** Size and hex SHA-256 of everything that passed; call once the write has completed. */
    result: () => ({ size, sha256: hash.digest('hex') }),
    release() {
      source.unpipe(body);
      if (!source.destroyed) source.resume();
    },
  };
}

/** Files under `<dataDir>/artifacts`: written to `tmp/`, then renamed atomically into `objects/`. */
export class LocalStorage implements ArtifactStorage {
  private readonly tmpDir: string;
  private readonly objectsDir: string;

  constructor(root: string) {
    this.tmpDir = path.join(root, 'tmp');
    this.objectsDir = path.join(root, 'objects');
  }

  async put(stream: Readable, { maxBytes }: { maxBytes: number }): Promise<StoredObject> {
    await mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    await mkdir(this.objectsDir, { recursive: true, mode: 0o700 });
    const key = newStorageKey();
    const tmp = path.join(this.tmpDir, `${key}.part`);
    const source = meteredSource(stream, maxBytes);
    try {
      await pipeline(source.body, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      await rename(tmp, this.pathOf(key));
    } catch (error) {
      source.release();
      await rm(tmp, { force: true });
      throw error;
    }
    return { key, ...source.result() };
  }

  async get(key: string): Promise<{ stream: Readable; size: number }> {
    const file = this.pathOf(key);
    const info = await stat(file);
    return { stream: createReadStream(file), size: info.size };
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  private pathOf(key: string): string {
    return path.join(this.objectsDir, checkStorageKey(key));
  }
}
