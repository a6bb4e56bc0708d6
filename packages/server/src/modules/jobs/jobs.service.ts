import { sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { JobsTable } from './jobs.tables.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface Job<P = unknown> {
  id: string;
  type: string;
  payload: P;
  status: JobStatus;
  runAt: string;
  /** Runs started so far, this one included while running. */
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  lockedBy: string | null;
  lockedUntil: string | null;
  uniqueKey: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface EnqueueJob<P = unknown> {
  type: string;
  payload: P;
  /** Not before this instant (default: now). */
  runAt?: Date;
  /**
   * Enqueue at most once per key, ever: a second enqueue with the same key is a no-op that returns the
   * existing job. Schedules use `schedule:<name>:<slot>`, reminders `reminder:<license>:<term>:<offset>`.
   */
  uniqueKey?: string;
  /** Default 5. */
  maxAttempts?: number;
}

export interface JobFilter {
  status?: JobStatus;
  type?: string;
  limit: number;
  cursor?: string;
}

function toJob(row: JobsTable): Job {
  return {
    id: row.id,
    type: row.type,
    payload: parseJson(row.payload, null),
    status: row.status as JobStatus,
    runAt: toIso(row.run_at),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    lockedBy: row.locked_by,
    lockedUntil: toIso(row.locked_until),
    uniqueKey: row.unique_key,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    finishedAt: toIso(row.finished_at),
  };
}

export const DEFAULT_MAX_ATTEMPTS = 5;

export interface JobQueueDeps {
  db: Db;
  dialect: Dialect;
  clock: Clock;
  events: EventsService;
}

/**
 * The database-backed job queue. Jobs are rows; enqueueing inside a caller's transaction makes "the change
 * and its follow-up work" one commit (an order and its confirmation mail, an event and its webhook
 * deliveries). Claims are conditional, so with several worker processes on one PostgreSQL each job runs
 * in exactly one of them at a time; a worker that dies mid-job loses its lease (`locked_until`) and the job
 * becomes claimable again, counting the attempt.
 */
export class JobQueue {
  constructor(private readonly deps: JobQueueDeps) {}

  /** Adds a job (inside the caller's transaction when `executor` is one). Idempotent per `uniqueKey`. */
  async enqueue<P>(executor: Executor, spec: EnqueueJob<P>): Promise<{ id: string; created: boolean }> {
    const now = this.deps.clock.now().toISOString();
    const id = newId('job');
    const row = {
      id,
      type: spec.type,
      payload: JSON.stringify(spec.payload ?? null),
      status: 'queued',
      run_at: (spec.runAt ?? this.deps.clock.now()).toISOString(),
      attempts: 0,
      max_attempts: spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      last_error: null,
      locked_by: null,
      locked_until: null,
      unique_key: spec.uniqueKey ?? null,
      created_at: now,
      updated_at: now,
      finished_at: null,
    };
    if (spec.uniqueKey === undefined) {
      await executor.insertInto('jobs').values(row).execute();
      return { id, created: true };
    }
    const result = await executor
      .insertInto('jobs')
      .values(row)
      .onConflict((oc) => oc.column('unique_key').doNothing())
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return { id, created: true };
    const existing = await executor.selectFrom('jobs').select('id').where('unique_key', '=', spec.uniqueKey).executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }

  /**
   * Claims up to `limit` due jobs for `workerId`: queued ones whose time has come, then running ones whose
   * worker's lease ran out (it died). Each claim is one conditional UPDATE; on PostgreSQL the candidate rows
   * are picked `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint sets without waiting. The two
   * kinds are claimed by separate statements so each walks the `(status, run_at)` index in order and stops
   * at `limit`, however long the backlog.
   */
  async claim(workerId: string, limit: number, leaseMs: number, types?: readonly string[]): Promise<Job[]> {
    if (limit <= 0) return [];
    const queued = await this.claimWhere(workerId, limit, leaseMs, types, 'queued');
    if (queued.length >= limit) return queued;
    const orphans = await this.claimWhere(workerId, limit - queued.length, leaseMs, types, 'running');
    return [...queued, ...orphans];
  }

  private async claimWhere(workerId: string, limit: number, leaseMs: number, types: readonly string[] | undefined, status: 'queued' | 'running'): Promise<Job[]> {
    const now = this.deps.clock.now();
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    const typeFilter = types && types.length > 0 ? sql`and type in (${sql.join(types)})` : sql``;
    const lock = this.deps.dialect === 'postgres' ? sql`for update skip locked` : sql``;
    // A queued job is due by run_at; a running one is an orphan once its lease ran out.
    const due = status === 'queued' ? sql`status = 'queued' and run_at <= ${nowIso}` : sql`status = 'running' and locked_until <= ${nowIso}`;
    const order = status === 'queued' ? sql`run_at` : sql`locked_until`;
    const result = await sql<JobsTable>`
      update jobs
         set status = 'running', locked_by = ${workerId}, locked_until = ${until},
             attempts = attempts + 1, updated_at = ${nowIso}
       where id in (select id from jobs where ${due} ${typeFilter} order by ${order} limit ${limit} ${lock})
         and ${due}
      returning *`.execute(this.deps.db);
    return result.rows.map(toJob).sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /** Extends a running job's lease; false when the job is no longer this worker's. */
  async extendLease(job: Job, workerId: string, leaseMs: number): Promise<boolean> {
    const until = new Date(this.deps.clock.now().getTime() + leaseMs).toISOString();
    const result = await this.deps.db
      .updateTable('jobs')
      .set({ locked_until: until })
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Marks a claimed job done. `executor` lets a handler finish the job in the transaction that made its
   * effect durable, so "effect recorded" and "job done" commit together. False when this worker had lost
   * the job (lease ran out and another worker took it).
   */
  async complete(job: Job, workerId: string, executor: Executor = this.deps.db): Promise<boolean> {
    const now = this.deps.clock.now().toISOString();
    const result = await executor
      .updateTable('jobs')
      .set({ status: 'done', locked_by: null, locked_until: null, finished_at: now, updated_at: now, last_error: null })
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** A failed run: queued again at `retryAt`, or `failed` for good when attempts are used up (or retryAt is null). */
  async fail(job: Job, workerId: string, error: string, retryAt: Date | null): Promise<'queued' | 'failed'> {
    const now = this.deps.clock.now().toISOString();
    const final = retryAt === null || job.attempts >= job.maxAttempts;
    await this.deps.db
      .updateTable('jobs')
      .set({
        status: final ? 'failed' : 'queued',
        run_at: final ? toIso(job.runAt) : retryAt!.toISOString(),
        locked_by: null,
        locked_until: null,
        last_error: error.slice(0, 4000),
        updated_at: now,
        finished_at: final ? now : null,
      })
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('locked_by', '=', workerId)
      .execute();
    return final ? 'failed' : 'queued';
  }

  async get(id: string): Promise<Job> {
    const row = await this.deps.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', 'No such job');
    return toJob(row);
  }

  /** Newest first. */
  async list(filter: JobFilter): Promise<Page<Job>> {
    let query = this.deps.db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.type) query = query.where('type', '=', filter.type);
    if (filter.cursor) query = query.where('id', '<', filter.cursor);
    return page((await query.execute()).map(toJob), filter.limit);
  }

  /** Puts a failed job back in the queue, with a fresh set of attempts; audited. */
  async retry(ctx: RequestContext, id: string): Promise<Job> {
    const before = await this.get(id);
    if (before.status !== 'failed') throw new AppError('CONFLICT', `Only a failed job can be retried; this one is ${before.status}`);
    const now = this.deps.clock.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('jobs')
        .set({ status: 'queued', run_at: now, attempts: 0, finished_at: null, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw new AppError('CONFLICT', 'The job changed meanwhile; reload it');
      await this.deps.events.record(trx, ctx, { action: 'job.retried', targetType: 'job', targetId: id, before: { status: before.status, lastError: before.lastError } });
    });
    return this.get(id);
  }

  /** Counts by status, for /health-style overviews and the console. */
  async counts(): Promise<Record<JobStatus, number>> {
    const rows = await this.deps.db.selectFrom('jobs').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    const counts = { queued: 0, running: 0, done: 0, failed: 0 } as Record<JobStatus, number>;
    for (const row of rows) counts[row.status as JobStatus] = Number(row.n);
    return counts;
  }

  /** Deletes finished (done) jobs older than `olderThan`; failed ones stay until retried or cleared by hand. */
  async prune(olderThan: Date): Promise<number> {
    const result = await this.deps.db.deleteFrom('jobs').where('status', '=', 'done').where('finished_at', '<', olderThan.toISOString()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
