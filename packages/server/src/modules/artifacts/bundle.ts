import { Readable } from 'node:stream';

/**
 * A minimal POSIX tar writer (ustar headers, pax `x` headers only for what ustar cannot hold) for the
 * offline update bundle. Entries are streamed in order: a body may be a Buffer or a Readable of exactly
 * `size` bytes, read chunk by chunk, so a large artifact never sits in memory. The archive's length is
 * known before the first byte is written (`tarLength`), which gives the download its Content-Length.
 */

/** `manifest.json` of an offline update bundle (`?format=bundle` on a download link): defined once, in the SDK's format. */
export { BUNDLE_FORMAT, type UpdateBundleManifest } from '@keyhaven/sdk/format';

export interface TarEntry {
  /** Path inside the archive, `/`-separated, relative. */
  name: string;
  size: number;
  body: Buffer | (() => Readable);
}

const BLOCK = 512;
/** The largest size an 11-digit octal field holds (8 GiB - 1); larger sizes go into a pax record. */
const MAX_OCTAL_SIZE = 0o77777777777;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/** Total bytes of the archive: per entry its header block(s), its data and the zero padding, then two zero blocks. */
export function tarLength(entries: readonly TarEntry[], mtime: Date): number {
  return entries.reduce((sum, entry) => sum + entryHeader(entry, mtime).length + entry.size + padding(entry.size), END_OF_ARCHIVE.length);
}

/** The archive as a stream; a body stream that yields more or fewer than `size` bytes fails it. */
export function tarStream(entries: readonly TarEntry[], mtime: Date): Readable {
  return Readable.from(tarChunks(entries, mtime), { objectMode: false });
}

async function* tarChunks(entries: readonly TarEntry[], mtime: Date): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    yield entryHeader(entry, mtime);
    if (Buffer.isBuffer(entry.body)) {
      if (entry.body.length !== entry.size) throw new Error(`tar entry ${entry.name}: ${entry.body.length} bytes, declared ${entry.size}`);
      yield entry.body;
    } else {
      let written = 0;
      const source = entry.body();
      try {
        for await (const chunk of source) {
          const bytes = chunk as Buffer;
          written += bytes.length;
          if (written > entry.size) throw new Error(`tar entry ${entry.name}: more than the declared ${entry.size} bytes`);
          yield bytes;
        }
      } finally {
        source.destroy();
      }
      if (written !== entry.size) throw new Error(`tar entry ${entry.name}: ${written} bytes, declared ${entry.size}`);
    }
    const pad = padding(entry.size);
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield END_OF_ARCHIVE;
}

/**
 * The header block of an entry; preceded by a pax extended header (typeflag `x`) when the path does not
 * fit the ustar name/prefix fields or the size does not fit 11 octal digits.
 */
export function entryHeader(entry: { name: string; size: number }, mtime: Date): Buffer {
  const split = splitName(entry.name);
  const records: string[] = [];
  if (!split) records.push(paxRecord('path', entry.name));
  if (entry.size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(entry.size)));
  const header = ustarHeader({
    name: split?.name ?? Buffer.from(entry.name).subarray(0, 100),
    prefix: split?.prefix ?? Buffer.alloc(0),
    size: entry.size > MAX_OCTAL_SIZE ? 0 : entry.size,
    mtime,
    type: '0',
  });
  if (records.length === 0) return header;
  const data = Buffer.from(records.join(''), 'utf8');
  const paxName = Buffer.from(`PaxHeader/${entry.name.split('/').pop()!}`).subarray(0, 100);
  return Buffer.concat([ustarHeader({ name: paxName, prefix: Buffer.alloc(0), size: data.length, mtime, type: 'x' }), data, Buffer.alloc(padding(data.length)), header]);
}

/** `"<len> key=value\n"` where len counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

/** ustar keeps a path as prefix (≤ 155 bytes) + `/` + name (≤ 100 bytes); undefined when it cannot. */
function splitName(path: string): { name: Buffer; prefix: Buffer } | undefined {
  const whole = Buffer.from(path, 'utf8');
  if (whole.length <= 100) return { name: whole, prefix: Buffer.alloc(0) };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = Buffer.from(path.slice(0, i), 'utf8');
    const name = Buffer.from(path.slice(i + 1), 'utf8');
    if (prefix.length <= 155 && name.length <= 100 && name.length > 0) return { name, prefix };
  }
  return undefined;
}

function ustarHeader(h: { name: Buffer; prefix: Buffer; size: number; mtime: Date; type: '0' | 'x' }): Buffer {
  const block = Buffer.alloc(BLOCK);
  h.name.copy(block, 0);
  octal(block, 100, 8, 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, h.size);
  octal(block, 136, 12, Math.floor(h.mtime.getTime() / 1000));
  block.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  block.write(h.type, 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  h.prefix.copy(block, 345);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'ascii');
  return block;
}

/** Zero-padded octal, NUL-terminated, in a field of `width` bytes. */
function octal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, '0') + '\u0000', offset, 'ascii');
}
