import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { loadPublicKey, verifyEd25519 } from './crypto.js';
import { UpdateVerificationError } from './errors.js';
import type { UpdateBundleManifest, VerifiedUpdateBundle, VerifyUpdateBundleOptions } from './types.js';

const BLOCK = 512;
const FORMAT = 'keyhaven-update-bundle/1';
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_SIGNATURE_BYTES = 1024;
const MAX_PAX_BYTES = 64 * 1024;

const refuse = (reason: 'archive' | 'size' | 'checksum' | 'signature' | 'key', message: string) => new UpdateVerificationError(reason, message);

/**
 * Verifies an offline update bundle (`<file>.khbundle.tar`, from a download link with `format=bundle`)
 * without any network: `manifest.sig` over the exact bytes of `manifest.json` with the embedded key, then
 * `payload/<fileName>` hashed while it is read (and, with `extractTo`, written to `<fileName>.part`),
 * its size, SHA-256 and artifact signature. The archive must hold exactly those three regular files, in
 * that order, followed by the end-of-archive blocks. Only a fully verified payload is renamed into place;
 * on any refusal (UpdateVerificationError) nothing is left behind.
 */
export async function verifyUpdateBundle(pathToBundle: string, options: VerifyUpdateBundleOptions): Promise<VerifiedUpdateBundle> {
  if (typeof pathToBundle !== 'string' || pathToBundle === '') throw new TypeError('verifyUpdateBundle: the bundle path is required');
  const { key, keyId } = loadPublicKey(options?.publicKey);
  const file = createReadStream(pathToBundle, { highWaterMark: 64 * 1024 });
  const reader = new ByteReader(file[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  let part: string | undefined;
  let out: WriteStream | undefined;
  try {
    const manifestBytes = await reader.smallEntry('manifest.json', MAX_MANIFEST_BYTES);
    const signature = (await reader.smallEntry('manifest.sig', MAX_SIGNATURE_BYTES)).toString('utf8').trim();
    let parsed: unknown;
    try {
      parsed = JSON.parse(manifestBytes.toString('utf8'));
    } catch {
      throw refuse('archive', 'manifest.json is not JSON');
    }
    const claimedKey = (parsed as { keyId?: unknown } | null)?.keyId;
    if (claimedKey !== keyId) throw refuse('key', `The bundle is signed with key ${String(claimedKey)}; the embedded key is ${keyId}`);
    if (!verifyEd25519(key, manifestBytes, signature)) throw refuse('signature', 'manifest.sig does not verify over manifest.json with the embedded public key');
    const manifest = checkManifest(parsed);
    const { artifact } = manifest;
    if (!verifyEd25519(key, artifact.sha256, artifact.signature)) throw refuse('signature', 'The artifact signature in the manifest does not verify');

    const header = await reader.header();
    if (!header) throw refuse('archive', 'The bundle ends before its payload');
    if (header.name !== `payload/${artifact.fileName}`) throw refuse('archive', `Unexpected entry ${JSON.stringify(header.name)}; expected payload/${artifact.fileName}`);
    if (header.size !== artifact.size) throw refuse('size', `The payload has ${header.size} bytes; the manifest says ${artifact.size}`);

    if (options.extractTo !== undefined) {
      const dir = path.resolve(options.extractTo);
      await mkdir(dir, { recursive: true });
      part = path.join(dir, `${artifact.fileName}.part`);
      out = createWriteStream(part, { mode: 0o600 });
      await once(out, 'open');
    }
    const hash = createHash('sha256');
    for await (const chunk of reader.data(header.size)) {
      hash.update(chunk);
      if (out && !out.write(chunk)) await once(out, 'drain');
    }
    if (out) {
      out.end();
      await once(out, 'finish');
    }
    await reader.end();
    const actual = hash.digest('hex');
    if (actual !== artifact.sha256.toLowerCase()) throw refuse('checksum', `The payload has SHA-256 ${actual}, not the manifest's ${artifact.sha256}`);
    if (part === undefined) return { manifest };
    const target = path.join(path.dirname(part), artifact.fileName);
    await rename(part, target);
    part = undefined;
    return { manifest, path: target };
  } finally {
    file.destroy();
    if (out && !out.closed) {
      out.destroy();
      await once(out, 'close').catch(() => undefined);
    }
    if (part !== undefined) await rm(part, { force: true });
  }
}

function checkManifest(value: unknown): UpdateBundleManifest {
  const m = value as UpdateBundleManifest;
  const isString = (v: unknown) => typeof v === 'string';
  const ok =
    m !== null &&
    typeof m === 'object' &&
    m.format === FORMAT &&
    isString(m.createdAt) &&
    m.product !== null && typeof m.product === 'object' &&
    m.release !== null && typeof m.release === 'object' &&
    isString(m.release.version) &&
    m.artifact !== null && typeof m.artifact === 'object' &&
    isString(m.artifact.fileName) &&
    Number.isSafeInteger(m.artifact.size) && m.artifact.size >= 0 &&
    isString(m.artifact.sha256) && /^[A-Fa-f0-9]{64}$/.test(m.artifact.sha256) &&
    isString(m.artifact.signature);
  if (!ok) throw refuse('archive', `manifest.json is not a ${FORMAT} manifest`);
  if (!plainFileName(m.artifact.fileName)) throw refuse('archive', `The payload file name ${JSON.stringify(m.artifact.fileName)} is not a plain file name`);
  return m;
}

/** One path component a file system cannot read as a path: the server's rule for artifact names. */
function plainFileName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name.length > 0 && name.length <= 255 && !/[\u0000-\u001f\u007f/\\:]/.test(name) && !name.startsWith('.') && name.trim() === name;
}

interface EntryHeader {
  name: string;
  size: number;
}

/** Reads a tar stream: exact-length reads for headers and small entries, chunk by chunk for the payload. */
class ByteReader {
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** The next regular file's header (a pax `x` header before it is applied); undefined at the end-of-archive block. */
  async header(): Promise<EntryHeader | undefined> {
    let pax: Map<string, string> | undefined;
    for (;;) {
      const block = await this.exactly(BLOCK);
      if (block.every((b) => b === 0)) {
        if (pax) throw refuse('archive', 'A pax header is not followed by an entry');
        return undefined;
      }
      const parsed = parseHeader(block);
      if (parsed.type === 'x') {
        if (pax) throw refuse('archive', 'Two pax headers in a row');
        if (parsed.size > MAX_PAX_BYTES) throw refuse('archive', 'A pax header is too large');
        pax = parsePax(await this.exactly(parsed.size));
        await this.exactly(padding(parsed.size));
        continue;
      }
      if (parsed.type !== '0' && parsed.type !== '\0') throw refuse('archive', `Entry ${JSON.stringify(parsed.name)} is not a regular file (type ${JSON.stringify(parsed.type)})`);
      const name = pax?.get('path') ?? parsed.name;
      const sizeText = pax?.get('size');
      const size = sizeText === undefined ? parsed.size : Number(sizeText);
      if (!Number.isSafeInteger(size) || size < 0) throw refuse('archive', 'An entry has an invalid size');
      return { name, size };
    }
  }

  /** The next entry, which must be `name`, read whole (at most `max` bytes). */
  async smallEntry(name: string, max: number): Promise<Buffer> {
    const header = await this.header();
    if (!header) throw refuse('archive', `The bundle ends before ${name}`);
    if (header.name !== name) throw refuse('archive', `Unexpected entry ${JSON.stringify(header.name)}; expected ${name}`);
    if (header.size > max) throw refuse('archive', `${name} is larger than ${max} bytes`);
    const data = await this.exactly(header.size);
    await this.exactly(padding(header.size));
    return data;
  }

  /** `size` bytes of entry data and then its padding, yielded as they arrive. */
  async *data(size: number): AsyncGenerator<Buffer> {
    let left = size;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.more())) throw truncated();
      const piece = this.pending.subarray(0, Math.min(left, this.pending.length));
      this.pending = this.pending.subarray(piece.length);
      left -= piece.length;
      yield piece;
    }
    await this.exactly(padding(size));
  }

  /** After the last entry: the end-of-archive marker (two zero blocks) and nothing but zeros after it. */
  async end(): Promise<void> {
    const next = await this.header();
    if (next) throw refuse('archive', `Unexpected extra entry ${JSON.stringify(next.name)}`);
    const second = await this.exactly(BLOCK);
    if (!second.every((b) => b === 0)) throw refuse('archive', 'The end-of-archive marker is incomplete');
    for (;;) {
      if (!this.pending.every((b) => b === 0)) throw refuse('archive', 'Data after the end of the archive');
      this.pending = Buffer.alloc(0);
      if (!(await this.more())) return;
    }
  }

  private async exactly(n: number): Promise<Buffer> {
    while (this.pending.length < n) if (!(await this.more())) throw truncated();
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.pending = this.pending.length === 0 ? next.value : Buffer.concat([this.pending, next.value]);
    return true;
  }
}

const truncated = () => refuse('archive', 'The bundle is truncated');
const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

function parseHeader(block: Buffer): { name: string; size: number; type: string } {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (octal(block.subarray(148, 156)) !== sum) throw refuse('archive', 'A tar header checksum does not match');
  if (block.toString('latin1', 257, 262) !== 'ustar') throw refuse('archive', 'Not a ustar archive');
  if (block[124]! & 0x80) throw refuse('archive', 'Base-256 sizes are not supported');
  const text = (from: number, to: number) => {
    const field = block.subarray(from, to);
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
  };
  const name = text(0, 100);
  const prefix = text(345, 500);
  const size = octal(block.subarray(124, 136));
  if (size === undefined) throw refuse('archive', 'A tar header has an invalid size');
  return { name: prefix ? `${prefix}/${name}` : name, size, type: String.fromCharCode(block[156]!) };
}

function octal(field: Buffer): number | undefined {
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : undefined;
}

/** pax records: `"<length> <key>=<value>\n"`, the length counting the whole record. */
function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = space === -1 ? NaN : Number(data.toString('latin1', offset, space));
    if (!Number.isSafeInteger(length) || length <= 0 || offset + length > data.length || data[offset + length - 1] !== 0x0a) throw refuse('archive', 'A pax header is malformed');
    const record = data.toString('utf8', space + 1, offset + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) throw refuse('archive', 'A pax header is malformed');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return records;
}
