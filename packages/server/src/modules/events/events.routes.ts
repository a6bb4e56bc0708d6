import { commonErrors, Page } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { EventSchema, ListEventsQuery } from './events.schemas.js';

export function eventRoutes(app: App, { events }: Services): void {
  app.get(
    '/v1/events',
    {
      schema: {
        operationId: 'listEvents',
        summary: 'List events',
        tags: ['events'],
        description: 'The audit log, newest first: actor, action, target, before/after, time and request id.',
        querystring: ListEventsQuery,
        response: { 200: Page(EventSchema), ...commonErrors },
      },
      config: { access: { permission: 'events:read' } },
    },
    async (request) => events.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );
}
