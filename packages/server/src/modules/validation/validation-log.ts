import { createQueryId, type CompiledQuery } from 'kysely';
import type { Db } from '../../db/database.js';

/**
 * The inserted columns, in the order of the parameters `write` passes: at, license_id, customer_id,
 * product_id, code, fingerprint, ip, user_agent, version.
 */
const INSERT_COLUMNS = 9;

export interface ValidationLogEntry {
  at: string;
  licenseId: string | null;
  /** The license's customer and product at the time (null without a license): what customer and product reads use. */
  customerId: string | null;
  productId: string | null;
  code: string;
  fingerprint: string | null;
  ip: string | null;
  userAgent: string | null;
  /** The app's version as it sent it (validateLicense `version`, checkForUpdate `version`). */
  version: string | null;
}

export interface ValidationLogDeps {
  db: Db;
  /** How long an entry may wait before a write (default 1 s). */
  flushMs?: number;
  /** Entries that trigger a write at once (default 1000). */
  batchSize?: number;
  /** Entries kept while writes fail; the oldest are dropped beyond it (default 100,000). */
  maxBuffered?: number;
  onError?: (error: unknown) => void;
}

/**
 * Records every validation without a write on the hot path: entries are buffered and written in one
 * multi-row insert every `flushMs` or when `batchSize` are waiting. `close()` writes what is left, so a
 * graceful stop loses nothing. A failed write is retried at the next flush (bounded by `maxBuffered`).
 */
export class ValidationLog {
  private buffer: ValidationLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly inserts = new Map<number, CompiledQuery>();

  constructor(private readonly deps: ValidationLogDeps) {}

  record(entry: ValidationLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length >= (this.deps.batchSize ?? 1000)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.deps.flushMs ?? 1000);
  }

  /** Writes everything buffered so far; resolves when it is committed. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async write(batch: ValidationLogEntry[]): Promise<void> {
    try {
      // 9 columns × 1000 rows stays well below both dialects' bound-parameter limits.
      for (let i = 0; i < batch.length; i += 1000) {
        const rows = batch.slice(i, i + 1000);
        const parameters: unknown[] = [];
        for (const e of rows) parameters.push(e.at, e.licenseId, e.customerId, e.productId, e.code, e.fingerprint, e.ip, e.userAgent, e.version);
        const compiled = this.insertFor(rows.length);
        await this.deps.db.executeQuery({ query: compiled.query, sql: compiled.sql, parameters, queryId: createQueryId() });
      }
    } catch (error) {
      this.deps.onError?.(error);
      const max = this.deps.maxBuffered ?? 100_000;
      this.buffer = [...batch, ...this.buffer].slice(-max);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
    }
  }

  /**
   * The multi-row insert for `rows` entries, built and compiled once per row count (a full batch is
   * always the same size under load) and executed with the flattened values as parameters.
   */
  private insertFor(rows: number): CompiledQuery {
    let compiled = this.inserts.get(rows);
    if (compiled === undefined) {
      const blank = { at: '', license_id: '', customer_id: '', product_id: '', code: '', fingerprint: '', ip: '', user_agent: '', version: '' };
      compiled = this.deps.db.insertInto('validations').values(Array.from({ length: rows }, () => blank)).compile();
      if (compiled.parameters.length !== rows * INSERT_COLUMNS) throw new Error('unexpected validation log insert shape');
      if (this.inserts.size >= 16) this.inserts.delete(this.inserts.keys().next().value!);
      this.inserts.set(rows, compiled);
    }
    return compiled;
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
