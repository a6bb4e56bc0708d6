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
    const key = randomBytes(16).toString('hex');
    const tmp = path.join(this.tmpDir, `${key}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new AppError('PAYLOAD_TOO_LARGE', `The artifact is larger than the limit of ${maxBytes} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // The source is piped (not part of the pipeline) so a refusal does not destroy the request: it is
    // drained instead and the client gets its 4xx answer.
    const onSourceError = (error: Error) => meter.destroy(error);
    stream.once('error', onSourceError);
    stream.pipe(meter);
    try {
      await pipeline(meter, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      await rename(tmp, this.pathOf(key));
    } catch (error) {
      stream.unpipe(meter);
      if (!stream.destroyed) stream.resume();
      await rm(tmp, { force: true });
      throw error;
    }
    return { key, size, sha256: hash.digest('hex') };
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
    if (!KEY.test(key)) throw new Error(`invalid storage key ${key}`);
    return path.join(this.objectsDir, key);
  }
}
