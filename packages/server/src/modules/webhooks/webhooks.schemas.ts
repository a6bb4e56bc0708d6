import Type from 'typebox';
import { HttpUrl, Id, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { EVENT_PATTERN } from './catalogue.js';
import { DELIVERY_KINDS, DELIVERY_STATUSES } from './webhooks.repository.js';

const Url = HttpUrl({ maxLength: 2048, description: 'http:// or https://, no credentials. Receives a POST of every subscribed event.' });
const Description = Nullable(Type.String({ maxLength: 500 }));
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: EVENT_PATTERN }), {
  minItems: 1,
  maxItems: 100,
  description: 'Event types (see listWebhookEventTypes), `<prefix>.*` such as `license.*`, or `*` for all. Default `["*"]`.',
});

export const WebhookEndpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Description,
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Nullable(Type.String()),
  disabledAt: Nullable(Timestamp),
  consecutiveFailures: Type.Integer({ description: 'Failed attempts since the last successful one' }),
  failingSince: Nullable(Timestamp),
  lastSuccessAt: Nullable(Timestamp),
  secretHint: Type.String({ description: 'The last 4 characters of the signing secret' }),
  previousSecretExpiresAt: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const WebhookEndpointWithSecretSchema = Type.Object({
  ...WebhookEndpointSchema.properties,
  secret: Type.String({ description: 'The signing secret (`whsec_…`). Shown only in this answer: store it now.' }),
});

export const CreateWebhookEndpointBody = Type.Object(
  {
    url: Url,
    description: Type.Optional(Description),
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UpdateWebhookEndpointBody = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Description),
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables a disabled endpoint and clears its failure streak' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const RotateWebhookSecretBody = Type.Object(
  {
    overlapHours: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 168, description: 'Keep signing with the old secret too for this long (default 0: it stops now)' }),
    ),
  },
  { additionalProperties: false },
);

export const WebhookDeliverySchema = Type.Object({
  id: Type.String({ description: 'Sent as Keyhaven-Webhook-Id, the same on every retry of this delivery' }),
  endpointId: Type.String(),
  eventId: Type.String({ description: 'Sent as Keyhaven-Event-Id: the audit event id, the same in every delivery of the event' }),
  eventType: Type.String(),
  kind: StringEnum(DELIVERY_KINDS),
  redeliveryOf: Nullable(Type.String()),
  status: StringEnum(DELIVERY_STATUSES),
  attemptCount: Type.Integer(),
  maxAttempts: Type.Integer(),
  nextAttemptAt: Nullable(Timestamp),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  deliveredAt: Nullable(Timestamp),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const WebhookAttemptSchema = Type.Object({
  attempt: Type.Integer(),
  at: Timestamp,
  statusCode: Nullable(Type.Integer()),
  responseBody: Nullable(Type.String({ description: 'The first KiB of the answer' })),
  durationMs: Type.Integer(),
  error: Nullable(Type.String()),
  success: Type.Boolean(),
});

export const WebhookDeliveryDetailSchema = Type.Object({
  ...WebhookDeliverySchema.properties,
  payload: Type.Unknown({ description: 'The request body as sent' }),
  attempts: Type.Array(WebhookAttemptSchema),
});

export const ListWebhookDeliveriesQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(DELIVERY_STATUSES)),
    eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const WebhookEventTypeSchema = Type.Object({ type: Type.String(), description: Type.String() });
