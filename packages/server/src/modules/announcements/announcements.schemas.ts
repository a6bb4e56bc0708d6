import Type from 'typebox';
import { Nullable, Timestamp } from '../../http/schemas.js';
import { TEMPLATE_KEY_PATTERN } from '../mail/templates.js';
import { ReleaseSchema } from '../releases/releases.schemas.js';

const Email = Type.String({ format: 'email', maxLength: 254 });

export const RecipientSchema = Type.Object({
  email: Type.String({ description: 'Lower-cased; the list holds each address once' }),
  name: Nullable(Type.String()),
  customerId: Nullable(Type.String({ description: 'Null for an address added by hand' })),
  optedOut: Type.Boolean({ description: 'The address turned announcement mail off: it is listed but not sent to' }),
});

export const RecipientListSchema = Type.Object({
  releaseId: Type.String(),
  data: Type.Array(RecipientSchema),
  total: Type.Integer({ description: 'Addresses listed' }),
  optedOut: Type.Integer({ description: 'Of those, addresses that would be skipped' }),
});

export const AnnounceBody = Type.Object(
  {
    template: Type.Optional(
      Type.String({ minLength: 3, maxLength: 100, pattern: TEMPLATE_KEY_PATTERN, description: "A mail template key (default 'release.published'); 400 TEMPLATE_UNKNOWN when none has it" }),
    ),
    add: Type.Optional(
      Type.Array(Type.Object({ email: Email, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }), {
        maxItems: 1000,
        description: 'Addresses added to the default list',
      }),
    ),
    remove: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { maxItems: 10_000, description: 'Addresses taken off the default list' })),
  },
  { additionalProperties: false },
);

export const AnnouncementSchema = Type.Object({
  id: Type.String(),
  releaseId: Type.String(),
  template: Type.String(),
  recipients: Type.Integer({ description: 'Mails queued, one per address' }),
  skippedOptedOut: Type.Integer({ description: 'Addresses left out because they turned announcement mail off' }),
  createdAt: Timestamp,
});

/**
 * `POST /v1/releases/:id/actions/publish` takes an optional body: publish, then announce in the same call.
 * A request without a body is read as `{}` (see `emptyBodyIfNone`).
 */
export const PublishReleaseBody = Type.Object(
  { announce: Type.Optional(AnnounceBody) },
  { additionalProperties: false, description: 'Optional: a request without a body publishes only. With `announce`, the release is announced by mail right after it is published.' },
);

/**
 * A preValidation hook for routes whose JSON body is optional: a request with no body at all is
 * validated and handled as `{}` (Fastify would otherwise validate it as null). A JSON `null` stays invalid.
 */
export async function emptyBodyIfNone(request: { body: unknown }): Promise<void> {
  if (request.body === undefined) request.body = {};
}

export const PublishedReleaseSchema = Type.Object({
  ...ReleaseSchema.properties,
  announcement: Type.Optional(AnnouncementSchema),
});
