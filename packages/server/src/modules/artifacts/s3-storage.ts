import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { checkStorageKey, meteredSource, newStorageKey, type ArtifactStorage, type StoredObject } from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible services (MinIO, R2, ...): their URL. Unset: AWS S3 of `region`. */
  endpoint?: string | undefined;
  /** Folder of the objects inside the bucket, without slashes at either end; empty: the bucket's root. */
  prefix?: string | undefined;
  /** `bucket` in the path instead of the host name; most self-hosted services need it. */
  forcePathStyle?: boolean | undefined;
  /** Unset: the SDK's default chain (environment, shared files, instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** S3 accepts at most 10,000 parts of at least 5 MiB each. */
const MAX_PARTS = 10_000;
const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * Objects in an S3 bucket (AWS or any S3-compatible service), under `<prefix>/<key>`.
 *
 * `put` streams the upload with `@aws-sdk/lib-storage`: a part is at most a few MiB in memory (four in
 * flight), never the whole file. It writes straight to the final key instead of a temporary key plus
 * CopyObject, because S3 itself never shows a partial object: a single PutObject (files below one part)
 * is sent only after the whole stream was read, and a multipart upload appears only on
 * CompleteMultipartUpload, which is atomic. A copy would also double the writes and fails above 5 GB.
 * On any failure (source error, PAYLOAD_TOO_LARGE, S3 error) the multipart upload is aborted, so its
 * parts are dropped. (An abort that itself fails leaves parts that are invisible and unlisted; a bucket
 * lifecycle rule "abort incomplete multipart uploads" collects them.)
 */
export class S3Storage implements ArtifactStorage {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(options: S3StorageOptions) {
    this.client = new S3Client({
      region: options.region,
      // Other S3-compatible services (MinIO, R2, Ceph…) do not all accept the SDK's default CRC32 checksums
      // on every request; with a custom endpoint, checksums are sent and checked only where S3 requires them.
      ...(options.endpoint ? { endpoint: options.endpoint, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    this.bucket = options.bucket;
    this.prefix = options.prefix ? `${options.prefix}/` : '';
  }

  async put(stream: Readable, { maxBytes }: { maxBytes: number }): Promise<StoredObject> {
    const key = newStorageKey();
    const source = meteredSource(stream, maxBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: source.body, ContentType: 'application/octet-stream' },
      // Large enough that the largest accepted file fits in S3's part count.
      partSize: Math.max(MIN_PART_SIZE, Math.ceil(maxBytes / MAX_PARTS)),
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      source.release();
      source.body.destroy();
      // The stream's own failure (too large, client gone) is the answer, not what aborting reported.
      throw source.failure ?? error;
    }
    return { key, ...source.result() };
  }

  async get(key: string): Promise<{ stream: Readable; size: number }> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    if (!(object.Body instanceof Readable) || object.ContentLength === undefined) {
      throw new Error(`S3 answered GetObject for ${key} without a body stream or a length`);
    }
    return { stream: object.Body, size: object.ContentLength };
  }

  async delete(key: string): Promise<void> {
    // DeleteObject succeeds for a key that does not exist, as LocalStorage's delete does.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  /** The object's name in the bucket. */
  objectKey(key: string): string {
    return this.prefix + checkStorageKey(key);
  }
}
