import Type from 'typebox';
import { commonErrors, IdParams, Nullable, Page, StringEnum, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { JOB_STATUSES } from './jobs.service.js';

const JobSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  payload: Type.Unknown(),
  status: StringEnum(JOB_STATUSES),
  runAt: Timestamp,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  lockedBy: Nullable(Type.String()),
  lockedUntil: Nullable(Timestamp),
  uniqueKey: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Nullable(Timestamp),
});

const ScheduleSchema = Type.Object({
  name: Type.String(),
  cron: Type.String(),
  jobType: Type.String(),
  nextRunAt: Timestamp,
  lastRunAt: Nullable(Timestamp),
});

export function jobRoutes(app: App, { jobs, worker }: Services): void {
  app.get(
    '/v1/jobs',
    {
      schema: {
        operationId: 'listJobs',
        summary: 'List jobs',
        tags: ['jobs'],
        description: 'Background jobs, newest first: e-mails, webhook deliveries, reminders, housekeeping. Filter `status=failed` to see what needs attention.',
        querystring: Type.Object(
          {
            status: Type.Optional(StringEnum(JOB_STATUSES)),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
            cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Page(JobSchema), ...commonErrors },
      },
      config: { access: { permission: 'jobs:read' } },
    },
    async (request) => jobs.list({ ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/jobs/:id',
    {
      schema: { operationId: 'getJob', summary: 'Get a job', tags: ['jobs'], params: IdParams, response: { 200: JobSchema, ...commonErrors } },
      config: { access: { permission: 'jobs:read' } },
    },
    async (request) => jobs.get(request.params.id),
  );

  app.post(
    '/v1/jobs/:id/retry',
    {
      schema: {
        operationId: 'retryJob',
        summary: 'Retry a job',
        tags: ['jobs'],
        description: 'Queue a failed job again with a fresh set of attempts.',
        params: IdParams,
        response: { 200: JobSchema, ...commonErrors },
      },
      config: { access: { permission: 'jobs:write' } },
    },
    async (request) => jobs.retry(ctx(request), request.params.id),
  );

  app.get(
    '/v1/job-schedules',
    {
      schema: {
        operationId: 'listJobSchedules',
        summary: 'List job schedules',
        tags: ['jobs'],
        description: 'The recurring jobs (cron, UTC) with their next and last run.',
        response: { 200: Type.Object({ data: Type.Array(ScheduleSchema) }), ...commonErrors },
      },
      config: { access: { permission: 'jobs:read' } },
    },
    async () => ({ data: await worker.listSchedules() }),
  );
}
