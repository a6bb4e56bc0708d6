import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { Db, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Job, JobQueue } from './jobs.service.js';

/** What a handler gets besides the payload. */
export interface JobContext {
  job: Job;
  /**
   * Marks the job done inside the handler's own transaction, so the effect's record and the job's end
   * commit together (a crash between them cannot run the effect twice). Optional: when a handler returns
   * without calling it, the worker completes the job itself.
   */
  complete(executor: Executor): Promise<void>;
  /** Aborted when the worker stops or the job's lease is lost. */
  signal: AbortSignal;
}

export interface JobDefinition<P = any> {
  type: string;
  run(payload: P, context: JobContext): Promise<void>;
  /** Delay before the next attempt after `attempt` failed runs (default: exponential from 30 s, ≤ 1 h). */
  backoffMs?(attempt: number): number;
  /** Lease per run; a run lasting longer is extended while it works (default 60 s). */
  leaseMs?: number;
}

/** A handler throws this to be retried at a time of its choosing (e.g. the SMTP server said "later"). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** A handler throws this when retrying cannot help (bad payload): the job fails at once. */
export class PermanentFailure extends Error {}

export interface ScheduleDefinition {
  /** Unique name, e.g. `machines.cull`. */
  name: string;
  /** Five-field cron (UTC), e.g. `* * * * *` or `0 3 * * *`. */
  cron: string;
  /** The job type enqueued at each slot (payload: `{ slot }`). */
  jobType: string;
}

export interface WorkerOptions {
  /** Jobs run at once in this process. Default 4. */
  concurrency?: number;
  /** Sleep between polls when idle. Default 1 s. */
  pollMs?: number;
  onError?(error: unknown, job?: Job): void;
  onJobDone?(job: Job, outcome: 'done' | 'queued' | 'failed', error?: unknown): void;
}

export interface WorkerDeps extends WorkerOptions {
  db: Db;
  queue: JobQueue;
  clock: Clock;
}

export function defaultBackoffMs(attempt: number): number {
  const base = Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** The next slot of a cron expression strictly after `after` (UTC). */
export function nextCronRun(cron: string, after: Date): Date {
  const next = new Cron(cron, { timezone: 'UTC', paused: true }).nextRun(after);
  if (!next) throw new Error(`The cron expression "${cron}" has no next run`);
  return next;
}

/**
 * Runs jobs from the queue and fires schedules. Any number of workers (in any number of processes) can
 * share one database: schedule slots are taken by a conditional UPDATE of `next_run_at` together with an
 * enqueue keyed by the slot, and jobs by JobQueue.claim, so each slot and each job happens once.
 */
export class Worker {
  readonly id = `${hostname()}:${process.pid}:${newId('wrk').slice(4)}`;
  private readonly definitions = new Map<string, JobDefinition>();
  private readonly schedules: ScheduleDefinition[] = [];
  private readonly running = new Set<Promise<void>>();
  /**
   * One controller per job under way (in the loop or a drain): stop() aborts them after its grace period.
   * The worker holds them itself rather than each job listening on one shared signal, which would gather
   * a listener per concurrent job (and Node's MaxListenersExceededWarning past ten).
   */
  private readonly jobControllers = new Set<AbortController>();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private schedulesSynced = false;
  private readonly concurrency: number;
  private readonly pollMs: number;

  constructor(private readonly deps: WorkerDeps) {
    this.concurrency = deps.concurrency ?? 4;
    this.pollMs = deps.pollMs ?? 1000;
  }

  define<P>(definition: JobDefinition<P>): void {
    if (this.definitions.has(definition.type)) throw new Error(`Job type ${definition.type} is defined twice`);
    this.definitions.set(definition.type, definition as JobDefinition);
  }

  schedule(definition: ScheduleDefinition): void {
    nextCronRun(definition.cron, new Date()); // throws on a bad expression, at start-up
    if (!this.definitions.has(definition.jobType)) throw new Error(`Schedule ${definition.name}: no job type ${definition.jobType}`);
    this.schedules.push(definition);
  }

  get types(): string[] {
    return [...this.definitions.keys()];
  }

  get scheduleDefinitions(): readonly ScheduleDefinition[] {
    return this.schedules;
  }

  /** Starts polling. */
  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Stops claiming, waits for running jobs (up to `graceMs`), then aborts them; unfinished jobs go back by lease expiry. */
  async stop(graceMs = 10_000): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    this.stopping = true;
    this.wake?.();
    await loop;
    const timer = setTimeout(() => {
      for (const controller of this.jobControllers) controller.abort();
    }, graceMs);
    await Promise.allSettled([...this.running]);
    clearTimeout(timer);
  }
  private stopping = false;

  /** Wakes an idle worker at once (after an enqueue in this process). */
  poke(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let claimed = 0;
      try {
        await this.fireSchedules();
        claimed = await this.claimAndStart();
      } catch (error) {
        this.deps.onError?.(error);
      }
      if (this.stopping) break;
      if (claimed === 0 || this.running.size >= this.concurrency) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          timer.unref?.();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
          // A finishing job frees a slot: look again.
          if (this.running.size >= this.concurrency) void Promise.race([...this.running]).then(() => this.wake?.());
        });
        this.wake = undefined;
      }
    }
  }

  /**
   * For tests and the CLI: fires due schedules and runs due jobs until none is left, one batch at a time,
   * and returns how many jobs ran. Time does not pass unless the clock moves.
   */
  async drain(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      await this.fireSchedules();
      const jobs = await this.deps.queue.claim(this.id, this.concurrency, 60_000, this.types);
      if (jobs.length === 0) return total;
      total += jobs.length;
      await Promise.all(jobs.map((job) => this.execute(job)));
    }
    throw new Error(`drain: still jobs after ${maxRounds} rounds (a job enqueues itself?)`);
  }

  private async claimAndStart(): Promise<number> {
    const free = this.concurrency - this.running.size;
    if (free <= 0) return 0;
    const jobs = await this.deps.queue.claim(this.id, free, 60_000, this.types);
    for (const job of jobs) {
      const run = this.execute(job).finally(() => this.running.delete(run));
      this.running.add(run);
    }
    return jobs.length;
  }

  private async execute(job: Job): Promise<void> {
    const definition = this.definitions.get(job.type)!;
    const leaseMs = definition.leaseMs ?? 60_000;
    const jobController = new AbortController();
    this.jobControllers.add(jobController);
    // Keep the lease while the handler works; losing it aborts the handler.
    const renew = setInterval(() => {
      this.deps.queue.extendLease(job, this.id, leaseMs).then(
        (held) => held || jobController.abort(),
        () => {},
      );
    }, Math.max(1000, leaseMs / 3));
    renew.unref?.();
    let completed = false;
    const context: JobContext = {
      job,
      signal: jobController.signal,
      complete: async (executor) => {
        const ok = await this.deps.queue.complete(job, this.id, executor);
        if (!ok) throw new Error(`Job ${job.id} is no longer held by this worker`);
        completed = true;
      },
    };
    try {
      await definition.run(job.payload, context);
      if (!completed) await this.deps.queue.complete(job, this.id);
      this.deps.onJobDone?.(job, 'done');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      let retryAt: Date | null;
      if (error instanceof PermanentFailure) retryAt = null;
      else if (error instanceof RetryLater) retryAt = new Date(this.deps.clock.now().getTime() + error.delayMs);
      else retryAt = new Date(this.deps.clock.now().getTime() + (definition.backoffMs ?? defaultBackoffMs)(job.attempts));
      try {
        const outcome = await this.deps.queue.fail(job, this.id, message, retryAt);
        this.deps.onJobDone?.(job, outcome, error);
      } catch (failError) {
        this.deps.onError?.(failError, job);
      }
    } finally {
      clearInterval(renew);
      this.jobControllers.delete(jobController);
    }
  }

  /** Records the schedules in the database (first start, or a changed cron), once per worker. */
  private async syncSchedules(): Promise<void> {
    const now = this.deps.clock.now();
    for (const schedule of this.schedules) {
      const row = await this.deps.db.selectFrom('job_schedules').selectAll().where('name', '=', schedule.name).executeTakeFirst();
      if (!row) {
        await this.deps.db
          .insertInto('job_schedules')
          .values({
            name: schedule.name,
            cron: schedule.cron,
            job_type: schedule.jobType,
            next_run_at: nextCronRun(schedule.cron, now).toISOString(),
            last_run_at: null,
            updated_at: now.toISOString(),
          })
          .onConflict((oc) => oc.column('name').doNothing())
          .execute();
      } else if (row.cron !== schedule.cron || row.job_type !== schedule.jobType) {
        await this.deps.db
          .updateTable('job_schedules')
          .set({ cron: schedule.cron, job_type: schedule.jobType, next_run_at: nextCronRun(schedule.cron, now).toISOString(), updated_at: now.toISOString() })
          .where('name', '=', schedule.name)
          .execute();
      }
    }
    this.schedulesSynced = true;
  }

  /**
   * Takes every due schedule slot: moving `next_run_at` on, conditionally on the value read, and enqueueing
   * the slot's job (keyed by name and slot) in one transaction. Slots missed while no worker ran collapse
   * into one run.
   */
  private async fireSchedules(): Promise<void> {
    if (this.schedules.length === 0) return;
    if (!this.schedulesSynced) await this.syncSchedules();
    const now = this.deps.clock.now();
    const names = this.schedules.map((s) => s.name);
    const due = await this.deps.db
      .selectFrom('job_schedules')
      .selectAll()
      .where('name', 'in', names)
      .where('next_run_at', '<=', now.toISOString())
      .execute();
    for (const row of due) {
      const slot = toIso(row.next_run_at);
      const next = nextCronRun(row.cron, now).toISOString();
      await this.deps.db.transaction().execute(async (trx) => {
        const taken = await trx
          .updateTable('job_schedules')
          .set({ next_run_at: next, last_run_at: slot, updated_at: now.toISOString() })
          .where('name', '=', row.name)
          .where('next_run_at', '=', slot)
          .executeTakeFirst();
        if (Number(taken.numUpdatedRows) === 0) return; // another worker took this slot
        await this.deps.queue.enqueue(trx, { type: row.job_type, payload: { slot }, uniqueKey: `schedule:${row.name}:${slot}`, maxAttempts: 3 });
      });
    }
  }

  /** The schedules as stored (next and last run). */
  async listSchedules(): Promise<Array<{ name: string; cron: string; jobType: string; nextRunAt: string; lastRunAt: string | null }>> {
    if (!this.schedulesSynced) await this.syncSchedules();
    const rows = await this.deps.db.selectFrom('job_schedules').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, cron: r.cron, jobType: r.job_type, nextRunAt: toIso(r.next_run_at), lastRunAt: toIso(r.last_run_at) }));
  }
}
