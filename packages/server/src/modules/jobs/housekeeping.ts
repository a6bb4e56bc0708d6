import type { Clock } from '../../lib/clock.js';
import type { MachinesService } from '../machines/machines.service.js';
import type { JobQueue } from './jobs.service.js';
import type { Worker } from './worker.js';

/** Finished jobs are kept this long (for the console and idempotent enqueues), then deleted. */
export const DONE_JOB_RETENTION_DAYS = 30;

/** Recurring upkeep: lapsed floating leases every minute, old finished jobs daily. */
export function registerHousekeeping(worker: Worker, deps: { jobs: JobQueue; machines: MachinesService; clock: Clock }): void {
  worker.define({ type: 'machines.cull', run: async () => void (await deps.machines.cull()) });
  worker.schedule({ name: 'machines.cull', cron: '* * * * *', jobType: 'machines.cull' });
  worker.define({
    type: 'jobs.prune',
    run: async () => void (await deps.jobs.prune(new Date(deps.clock.now().getTime() - DONE_JOB_RETENTION_DAYS * 86_400_000))),
  });
  worker.schedule({ name: 'jobs.prune', cron: '17 3 * * *', jobType: 'jobs.prune' });
}
