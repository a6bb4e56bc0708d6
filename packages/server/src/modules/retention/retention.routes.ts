import { commonErrors, IdParams } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { RetentionRunSchema, RetentionSchema, SetRetentionBody } from './retention.schemas.js';

const RULE =
  'Among published and yanked releases (drafts are never touched), a release is kept when it is one of the newest `keepVersions` by semver precedence (all channels) or was published less than `keepDays` days ago; with one limit set, that one decides; the newest published release is always kept.';

/** Per-product release retention: settings (staff only) and an immediate run. */
export function retentionRoutes(app: App, { retention }: Services): void {
  app.get(
    '/v1/products/:id/retention',
    {
      schema: {
        operationId: 'getReleaseRetention',
        summary: "Get a product's release retention",
        tags: ['releases'],
        description: `The product's retention settings (both null: keep everything). Staff only: customer credentials get 403. ${RULE}`,
        params: IdParams,
        response: { 200: RetentionSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:read', staffOnly: true } },
    },
    async (request) => retention.get(ctx(request), request.params.id),
  );

  app.put(
    '/v1/products/:id/retention',
    {
      schema: {
        operationId: 'setReleaseRetention',
        summary: "Set a product's release retention",
        tags: ['releases'],
        description: `Replaces the product's retention settings; the daily job \`releases.retention\` (or the apply action) removes the files of releases no longer kept. ${RULE}`,
        params: IdParams,
        body: SetRetentionBody,
        response: { 200: RetentionSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => retention.set(ctx(request), request.params.id, request.body),
  );

  app.post(
    '/v1/products/:id/retention/actions/apply',
    {
      schema: {
        operationId: 'applyReleaseRetention',
        summary: "Apply a product's release retention now",
        tags: ['releases'],
        description:
          'Runs retention for this product now, as the daily job would, and returns the artifacts it removed (already removed ones are not listed again; a product without settings removes nothing).',
        params: IdParams,
        response: { 200: RetentionRunSchema, ...commonErrors },
      },
      config: { access: { permission: 'releases:write' } },
    },
    async (request) => ({ removed: await retention.apply(ctx(request), request.params.id) }),
  );
}
