import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase } from '../../db/database.js';
import { client, factories, forEachDialect, useTestApp } from '../../testing/harness.js';
import { LAPSED_LEASE_KEEP_MS } from '../machines/machines.service.js';
import { LEASE_TOLERANCE_SECONDS } from '../machines/seats.service.js';
import { EventsService } from '../events/events.service.js';
import { JobQueue } from './jobs.service.js';
import { PermanentFailure, RetryLater, Worker, type WorkerOptions } from './worker.js';
import Type from 'typebox';
import { installJobs } from '../../wiring.js';


forEachDialect('job queue and scheduler', (dialect) => {
  const ctx = useTestApp(dialect);

  /** A worker of its own on the test database (the app's worker has the housekeeping jobs). */
  function newWorker(options: WorkerOptions = {}) {
    const { db } = ctx.t.deps.database;
    const queue = new JobQueue({ db, dialect, clock: ctx.t.clock, events: new EventsService({ db, clock: ctx.t.clock }) });
    return { queue, worker: new Worker({ db, queue, clock: ctx.t.clock, ...options }) };
  }

  test('a job runs once; an enqueue with the same unique key is a no-op', async () => {
    const { queue, worker } = newWorker();
    const seen: string[] = [];
    worker.define<{ n: number }>({ type: 'test.once', run: async (payload) => void seen.push(`n=${payload.n}`) });
    const { db } = ctx.t.deps.database;
    const first = await queue.enqueue(db, { type: 'test.once', payload: { n: 1 }, uniqueKey: 'once:1' });
    const again = await queue.enqueue(db, { type: 'test.once', payload: { n: 1 }, uniqueKey: 'once:1' });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.id, first.id);
    // Not before its time.
    await queue.enqueue(db, { type: 'test.once', payload: { n: 2 }, runAt: new Date(ctx.t.clock.now().getTime() + 60_000) });
    assert.equal(await worker.drain(), 1);
    assert.deepEqual(seen, ['n=1']);
    ctx.t.clock.advance(60_000);
    assert.equal(await worker.drain(), 1);
    assert.deepEqual(seen, ['n=1', 'n=2']);
    const done = await queue.get(first.id);
    assert.equal(done.status, 'done');
    assert.equal(done.attempts, 1);
    // A job enqueued inside a transaction that rolls back never existed.
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await queue.enqueue(trx, { type: 'test.once', payload: { n: 3 } });
        throw new Error('roll back');
      }),
    );
    assert.equal(await worker.drain(), 0);
  });

  test('failures retry with backoff, then fail for good; staff see failed jobs and retry them', async () => {
    const { queue, worker } = newWorker();
    let calls = 0;
    let healthy = false;
    worker.define({
      type: 'test.flaky',
      backoffMs: (attempt) => attempt * 1000,
      run: async () => {
        calls++;
        if (!healthy) throw new Error(`receiver down (call ${calls})`);
      },
    });
    const { id } = await queue.enqueue(ctx.t.deps.database.db, { type: 'test.flaky', payload: {}, maxAttempts: 3 });
    assert.equal(await worker.drain(), 1);
    let job = await queue.get(id);
    assert.equal(job.status, 'queued');
    assert.equal(job.lastError, 'receiver down (call 1)');
    assert.equal(Date.parse(job.runAt), ctx.t.clock.now().getTime() + 1000);
    assert.equal(await worker.drain(), 0, 'not before the backoff');
    ctx.t.clock.advance(1000);
    assert.equal(await worker.drain(), 1);
    ctx.t.clock.advance(2000);
    assert.equal(await worker.drain(), 1);
    job = await queue.get(id);
    assert.equal(job.status, 'failed');
    assert.equal(job.attempts, 3);
    assert.equal(calls, 3);

    const api = client(ctx.t.app);
    const listed = await api.get('/v1/jobs?status=failed&type=test.flaky');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.map((j: { id: string }) => j.id), [id]);
    assert.equal(listed.body.data[0].lastError, 'receiver down (call 3)');
    healthy = true;
    const retried = await api.post(`/v1/jobs/${id}/retry`);
    assert.equal(retried.status, 200, retried.raw);
    assert.equal(retried.body.status, 'queued');
    assert.equal((await api.post(`/v1/jobs/${id}/retry`)).body.error.code, 'CONFLICT');
    assert.equal(await worker.drain(), 1);
    assert.equal((await api.get(`/v1/jobs/${id}`)).body.status, 'done');
    const history = await api.get(`/v1/events?targetType=job&targetId=${id}`);
    assert.equal(history.body.data[0].action, 'job.retried');
    assert.equal((await api.get('/v1/jobs/job_nope')).status, 404);
  });

  test('RetryLater picks the next attempt time; PermanentFailure fails at once', async () => {
    const { queue, worker } = newWorker();
    worker.define({ type: 'test.later', run: async () => { throw new RetryLater('SMTP said 421', 5 * 60_000); } });
    worker.define({ type: 'test.broken', run: async () => { throw new PermanentFailure('no such template'); } });
    const { db } = ctx.t.deps.database;
    const later = await queue.enqueue(db, { type: 'test.later', payload: {} });
    const broken = await queue.enqueue(db, { type: 'test.broken', payload: {} });
    await worker.drain();
    assert.equal(Date.parse((await queue.get(later.id)).runAt), ctx.t.clock.now().getTime() + 5 * 60_000);
    const failed = await queue.get(broken.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
  });

  test('a declared job checks its payload: one that does not match fails at once, without running', async () => {
    const { queue, worker } = newWorker();
    const seen: number[] = [];
    installJobs(worker, {
      jobs: [{ type: 'test.typed', payload: Type.Object({ n: Type.Integer() }), run: async (payload: { n: number }) => void seen.push(payload.n) }],
    });
    const { db } = ctx.t.deps.database;
    const good = await queue.enqueue(db, { type: 'test.typed', payload: { n: 7 } });
    const bad = await queue.enqueue(db, { type: 'test.typed', payload: { n: 'seven' } });
    await worker.drain();
    assert.deepEqual(seen, [7]);
    assert.equal((await queue.get(good.id)).status, 'done');
    const failed = await queue.get(bad.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.match(failed.lastError ?? '', /payload does not match/);
  });

  test('a job whose worker died is taken over when its lease runs out', async () => {
    const { queue, worker } = newWorker();
    let runs = 0;
    worker.define({ type: 'test.orphan', run: async () => void runs++ });
    const { id } = await queue.enqueue(ctx.t.deps.database.db, { type: 'test.orphan', payload: {} });
    // A worker claims it and dies (never completes).
    const [claimed] = await queue.claim('dead-worker', 10, 60_000, ['test.orphan']);
    assert.equal(claimed?.id, id);
    assert.equal(await worker.drain(), 0, 'held while the lease lasts');
    ctx.t.clock.advance(60_001);
    assert.equal(await worker.drain(), 1);
    assert.equal(runs, 1);
    const job = await queue.get(id);
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 2);
    // The dead worker coming back cannot complete or fail what is no longer its job.
    assert.equal(await queue.complete(claimed!, 'dead-worker'), false);
  });

  test('a handler can complete its job inside the transaction that records its effect', async () => {
    const { queue, worker } = newWorker();
    const { db } = ctx.t.deps.database;
    worker.define<{ name: string }>({
      type: 'test.transactional',
      run: async (payload, job) => {
        // The effect (here: a follow-up job) and the job's end commit together. Inside the transaction only
        // `trx` may be used: SQLite has one connection, and it is the transaction's.
        await db.transaction().execute(async (trx) => {
          await queue.enqueue(trx, { type: 'test.follow-up', payload: payload, uniqueKey: `follow-up:${payload.name}` });
          await job.complete(trx);
        });
      },
    });
    const followUps: string[] = [];
    worker.define<{ name: string }>({ type: 'test.follow-up', run: async (payload) => void followUps.push(payload.name) });
    const { id } = await queue.enqueue(db, { type: 'test.transactional', payload: { name: 'Transactional' } });
    await worker.drain();
    assert.equal((await queue.get(id)).status, 'done');
    assert.deepEqual(followUps, ['Transactional']);
  });

  test('schedules: each slot is enqueued once, even with two workers racing; missed slots collapse', async () => {
    const a = newWorker();
    const b = newWorker();
    const runs: string[] = [];
    for (const { worker } of [a, b]) {
      worker.define<{ slot: string }>({ type: 'test.tick', run: async (payload) => void runs.push(payload.slot) });
      worker.schedule({ name: 'test.tick', cron: '*/5 * * * *', jobType: 'test.tick' });
    }
    ctx.t.clock.set('2026-03-01T12:01:00.000Z');
    await Promise.all([a.worker.drain(), b.worker.drain()]);
    assert.deepEqual(runs, [], 'the first slot is in the future');
    ctx.t.clock.set('2026-03-01T12:05:00.000Z');
    await Promise.all([a.worker.drain(), b.worker.drain(), a.worker.drain(), b.worker.drain()]);
    assert.deepEqual(runs, ['2026-03-01T12:05:00.000Z']);
    // An hour with no worker: one run, and the next slot is after now.
    ctx.t.clock.set('2026-03-01T13:07:00.000Z');
    await Promise.all([a.worker.drain(), b.worker.drain()]);
    assert.deepEqual(runs, ['2026-03-01T12:05:00.000Z', '2026-03-01T12:10:00.000Z']);
    const schedules = await a.worker.listSchedules();
    const tick = schedules.find((s) => s.name === 'test.tick')!;
    assert.equal(tick.nextRunAt, '2026-03-01T13:10:00.000Z');
    const listed = await client(ctx.t.app).get('/v1/job-schedules');
    assert.ok(listed.body.data.some((s: { name: string }) => s.name === 'machines.cull'), 'housekeeping schedules are listed');
  });

  test('the app worker culls lapsed floating leases on its schedule', async () => {
    const api = client(ctx.t.app);
    const worker = ctx.t.services.worker;
    assert.ok(worker.types.includes('machines.cull'));
    await worker.drain(); // syncs the schedules
    const { license } = await factories.world(api, { durationDays: 365, maxMachines: 2, floating: true, heartbeatSeconds: 300 });
    const activate = (fingerprint: string) => client(ctx.t.app, undefined).post('/v1/machines/activate', { key: license.key, fingerprint });
    assert.equal((await activate('lapses')).status, 201);
    const fingerprints = async () =>
      ((await api.get(`/v1/machines?licenseId=${license.id}`)).body.data as { fingerprint: string }[]).map((m) => m.fingerprint).sort();

    // Past the lease and the time a lapsed lease stays visible; then a second machine takes a live lease.
    ctx.t.clock.advance((300 + LEASE_TOLERANCE_SECONDS) * 1000 + LAPSED_LEASE_KEEP_MS + 1000);
    assert.equal((await activate('live')).status, 201);
    assert.deepEqual(await fingerprints(), ['lapses', 'live'], 'nothing culled before the worker runs');

    ctx.t.clock.advance(60_000);
    await worker.drain();
    const culls = await api.get('/v1/jobs?type=machines.cull&status=done');
    assert.ok(culls.body.data.length >= 1, culls.raw);
    assert.deepEqual(await fingerprints(), ['live'], 'the lapsed lease is gone, the live one stays');
  });

  test('concurrent workers on separate connections run each of 300 jobs exactly once', async () => {
    const handles = [openDatabase(ctx.t.deps.config.database), openDatabase(ctx.t.deps.config.database)];
    try {
      const runs = new Map<number, number>();
      const workers = handles.map((handle) => {
        const queue = new JobQueue({ db: handle.db, dialect, clock: ctx.t.clock, events: new EventsService({ db: handle.db, clock: ctx.t.clock }) });
        const worker = new Worker({ db: handle.db, queue, clock: ctx.t.clock, concurrency: 8 });
        worker.define<{ n: number }>({
          type: 'test.count',
          run: async (payload) => {
            runs.set(payload.n, (runs.get(payload.n) ?? 0) + 1);
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          },
        });
        return { queue, worker };
      });
      const { db } = ctx.t.deps.database;
      for (let n = 0; n < 300; n++) await workers[0]!.queue.enqueue(db, { type: 'test.count', payload: { n } });
      await Promise.all(workers.flatMap(({ worker }) => [worker.drain(), worker.drain()]));
      assert.equal(runs.size, 300);
      assert.ok([...runs.values()].every((n) => n === 1), 'no job ran twice');
    } finally {
      await Promise.all(handles.map((h) => h.close()));
    }
  });

  test('many jobs at once on one worker leave no abort listeners behind (no MaxListenersExceededWarning)', async () => {
    // Each running job once added a listener to the worker's shared AbortSignal: past ten at once, Node warned.
    const { queue, worker } = newWorker({ concurrency: 16 });
    let ran = 0;
    worker.define({ type: 'test.many', run: async () => void (await new Promise((resolve) => setTimeout(resolve, 5)), ran++) });
    const { db } = ctx.t.deps.database;
    for (let n = 0; n < 64; n++) await queue.enqueue(db, { type: 'test.many', payload: { n } });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      await Promise.all([worker.drain(), worker.drain()]);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(ran, 64);
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
      [],
    );
  });

  test('stop() aborts the jobs still running after its grace period', async () => {
    const { queue, worker } = newWorker({ pollMs: 10 });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let aborted = false;
    worker.define({
      type: 'test.hang',
      run: (_payload, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => ((aborted = true), resolve()), { once: true });
          started();
        }),
    });
    await queue.enqueue(ctx.t.deps.database.db, { type: 'test.hang', payload: {} });
    worker.start();
    await running;
    await worker.stop(20);
    assert.equal(aborted, true);
  });
});
