import type { Clock } from '../../lib/clock.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';
import type { JobQueue } from './jobs.service.js';

/** Finished jobs are kept this long (for the console and idempotent enqueues), then deleted. */
export const DONE_JOB_RETENTION_DAYS = 30;

/** The queue's own upkeep: old finished jobs are deleted daily. */
export function jobsWiring(deps: { jobs: JobQueue; clock: Clock }): ModuleWiring {
  return {
    jobs: [
      {
        type: 'jobs.prune',
        payload: SlotPayload,
        run: async () => void (await deps.jobs.prune(new Date(deps.clock.now().getTime() - DONE_JOB_RETENTION_DAYS * 86_400_000))),
        cron: '17 3 * * *',
      },
    ],
  };
}
