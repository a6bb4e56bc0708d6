import { ErrorBody } from '../../http/schemas.js';
import type { App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { UpdateCheckBody, UpdateCheckResponse } from './updates.schemas.js';

const clientErrors = { 400: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody };

/** The signed client update check. */
export function updateRoutes(app: App, { updates }: Services, options: { rateLimit: number }): void {
  app.post(
    '/v1/updates/check',
    {
      schema: {
        operationId: 'checkForUpdate',
        summary: 'Check for an update',
        tags: ['client'],
        security: [],
        description:
          'The newest published release on the channel (or a more stable one) above `version` that the license is entitled to (valid for the product, required features present; under the maintenance model, once expired, published before the expiry) and, when `platform`/`arch` are named, that has a file for them. The release carries its notes (Markdown and safe HTML) and its artifacts with signed download links. A license that does not validate is a 200 with updateAvailable=false and its code.',
        body: UpdateCheckBody,
        response: { 200: UpdateCheckResponse, ...clientErrors },
      },
      config: { access: { public: true }, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request) => updates.check(request.body, { ip: request.ip, userAgent: request.headers['user-agent'] }),
  );
}
