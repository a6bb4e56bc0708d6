import { Readable } from 'node:stream';

/** A CSV cell: text as is, numbers and booleans as written by JavaScript, null/undefined as empty. */
export type CsvValue = string | number | boolean | null | undefined;

/**
 * RFC 4180 quoting, and a leading quote for values a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab or carriage return first: CSV injection).
 */
export function csvField(value: CsvValue): string {
  const text = value === null || value === undefined ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV record with its CRLF line end. */
export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** A whole CSV document (a header and its lines) in memory: for the small reports. */
export function toCsv(lines: ReadonlyArray<readonly CsvValue[]>): string {
  return lines.map(csvLine).join('');
}

/**
 * A streamed CSV export: the header, then one chunk per page of rows. The header goes out with the first
 * page, so a failure reading that page happens before the first byte (a normal JSON error) rather than
 * after it.
 */
export async function* csvChunks<T>(header: readonly string[], pages: AsyncIterable<readonly T[]>, toLines: (item: T) => ReadonlyArray<readonly CsvValue[]>): AsyncGenerator<string> {
  let first = csvLine(header);
  for await (const items of pages) {
    let chunk = first;
    first = '';
    for (const item of items) for (const line of toLines(item)) chunk += csvLine(line);
    if (chunk) yield chunk;
  }
  if (first) yield first;
}

/** Rows per page of a streamed export: one page's rows (and their looked-up names) are all it holds. */
export const EXPORT_PAGE = 1000;

/**
 * Keyset pages of a list read (`limit + 1` rows after a cursor, newest id first, like the list routes):
 * pages of `size` until one comes back short, so an export holds one page at a time.
 */
export async function* keysetPages<T extends { id: string }>(read: (page: { limit: number; cursor?: string }) => Promise<T[]>, size = EXPORT_PAGE): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await read({ limit: size, ...(cursor ? { cursor } : {}) });
    const items = rows.slice(0, size);
    if (items.length > 0) yield items;
    if (rows.length <= size) return;
    cursor = items[items.length - 1]!.id;
  }
}

/**
 * The body of a streamed download: the first chunk is read before anything is sent (so an error there is a
 * normal 4xx/5xx), the rest is pulled as the client reads (backpressure), and a failure later destroys
 * the stream, which ends the response: the client sees a truncated download, not a hang.
 */
export async function startStream(chunks: AsyncGenerator<string>): Promise<Readable> {
  const first = await chunks.next();
  async function* all(): AsyncGenerator<string> {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  return Readable.from(all(), { objectMode: false });
}

/** `licenses-2026-12-07.csv`: the export's name and the day (UTC) it was made. */
export function datedCsvName(name: string, now: Date): string {
  return `${name}-${now.toISOString().slice(0, 10)}.csv`;
}

/** A streamed export as a service hands it to its route: the download's name and its chunks. */
export interface CsvExport {
  filename: string;
  chunks: AsyncGenerator<string>;
}
