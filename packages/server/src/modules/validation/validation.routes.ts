import { commonErrors } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { ListValidationsQuery, ValidationPage, VersionsReportQuery, VersionsReportSchema } from './validation.schemas.js';

/**
 * Reading the validation log (the client operations write it: client.routes.ts). `events:read`, like the
 * audit log: staff and customer admins (their own organization's rows), not customer members.
 */
export function validationRoutes(app: App, { validation }: Services): void {
  app.get(
    '/v1/validations',
    {
      schema: {
        operationId: 'listValidations',
        summary: 'List validations',
        tags: ['validations'],
        description:
          'The validation log, newest first: every validateLicense (and checkForUpdate, download) answer with its code, fingerprint, IP, user agent and app version. Customers see their own organization\'s licenses only. The log is written in batches: a validation appears within about a second.',
        querystring: ListValidationsQuery,
        response: { 200: ValidationPage, ...commonErrors },
      },
      config: { access: { permission: 'events:read' } },
    },
    async (request) => validation.list(ctx(request), { ...request.query, limit: request.query.limit ?? 25 }),
  );

  app.get(
    '/v1/reports/versions',
    {
      schema: {
        operationId: 'getVersionsReport',
        summary: 'Versions in the field',
        tags: ['reports'],
        description: 'Per app version reported in the period (default: the last 30 days): the licenses and machine fingerprints that used it and when it was last seen.',
        querystring: VersionsReportQuery,
        response: { 200: VersionsReportSchema, ...commonErrors },
      },
      config: { access: { permission: 'reports:read', staffOnly: true } },
    },
    async (request) => validation.versions(request.query),
  );
}
