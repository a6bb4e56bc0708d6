import type { Db } from '../../db/database.js';

export interface ValidationLogEntry {
  at: string;
  licenseId: string | null;
  code: string;
  fingerprint: string | null;
  ip: string | null;
  userAgent: string | null;
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

  constructor(
    private readonly db: Db,
    private readonly options: { flushMs?: number; batchSize?: number; maxBuffered?: number; onError?: (error: unknown) => void } = {},
  ) {}

  record(entry: ValidationLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length >= (this.options.batchSize ?? 500)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 250);
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
      // 6 columns × 1000 rows stays well below both dialects' bound-parameter limits.
      for (let i = 0; i < batch.length; i += 1000) {
        await this.db
          .insertInto('validations')
          .values(
            batch.slice(i, i + 1000).map((e) => ({
              at: e.at,
              license_id: e.licenseId,
              code: e.code,
              fingerprint: e.fingerprint,
              ip: e.ip,
              user_agent: e.userAgent,
            })),
          )
          .execute();
      }
    } catch (error) {
      this.options.onError?.(error);
      const max = this.options.maxBuffered ?? 100_000;
      this.buffer = [...batch, ...this.buffer].slice(-max);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
