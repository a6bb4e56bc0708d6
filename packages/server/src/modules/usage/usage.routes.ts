import Type from 'typebox';
import { commonErrors, ErrorBody, IdParams, Nonce, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { Fingerprint } from '../machines/machines.schemas.js';
import { METER_PERIODS } from '../policies/meters.js';

const UsageSchema = Type.Object({
  feature: Type.String(),
  used: Type.Integer(),
  limit: Nullable(Type.Integer()),
  remaining: Nullable(Type.Integer()),
  period: StringEnum(METER_PERIODS),
  periodStart: Timestamp,
});

export function usageRoutes(app: App, { usage }: Services, options: { rateLimit: number }): void {
  app.post(
    '/v1/usage',
    {
      schema: {
        operationId: 'recordUsage',
        summary: 'Record usage for a license key',
        tags: ['client'],
        security: [],
        description: 'Spend credits of a metered feature atomically; 422 USAGE_EXHAUSTED when not enough are left (nothing is spent then).',
        body: Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 100 }),
            feature: Type.String({ minLength: 1, maxLength: 100 }),
            amount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
            fingerprint: Type.Optional(Fingerprint),
            nonce: Type.Optional(Nonce),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ ...UsageSchema.properties, nonce: Type.Optional(Type.String()) }),
          400: ErrorBody,
          404: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          422: ErrorBody,
          429: ErrorBody,
        },
      },
      config: { access: { public: true }, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request) => {
      const { nonce: _nonce, ...input } = request.body;
      return usage.record(input, { ip: request.ip, requestId: request.id });
    },
  );

  app.get(
    '/v1/licenses/:id/usage',
    {
      schema: {
        operationId: 'listLicenseUsage',
        summary: "List a license's usage",
        tags: ['licenses'],
        description: 'The metered features of a license with their use in the current period.',
        params: IdParams,
        response: { 200: Type.Object({ data: Type.Array(UsageSchema) }), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => ({ data: await usage.list(ctx(request), request.params.id) }),
  );
}
