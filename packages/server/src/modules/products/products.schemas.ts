import Type from 'typebox';
import { HttpUrl, Id, Metadata, Nullable, Timestamp } from '../../http/schemas.js';

const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$', description: 'Lowercase, stable; apps may name the product by it' });

export const ProductSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    url: Nullable(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    trialDurations: Type.Array(Type.Integer()),
    trialPreset: Type.Integer(),
    trialPolicyId: Nullable(Type.String()),
    publicTrials: Type.Boolean(),
    customerIds: Type.Array(Type.String(), { description: 'A custom product is made for these customers: only they see it and hold its licenses. Empty: public' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

export const CreateProductBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.Optional(Code),
    description: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    url: Type.Optional(Nullable(HttpUrl())),
    metadata: Type.Optional(Metadata),
    trialDurations: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 3650 }), { minItems: 1, maxItems: 20, description: 'Allowed trial lengths in days (default 5, 30, 60, 90)' }),
    ),
    trialPreset: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'The trial length used when none is named (default 30); one of trialDurations' })),
    trialPolicyId: Type.Optional(Nullable(Id)),
    publicTrials: Type.Optional(Type.Boolean({ description: 'Let anyone sign up for a trial by e-mail (POST /v1/trials); default false' })),
    customerIds: Type.Optional(
      Type.Array(Id, {
        maxItems: 100,
        description: 'Make it a custom product (custom development) for these customers: only they see it, its releases and downloads, and only they may hold its licenses. Default []: public',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UpdateProductBody = Type.Partial(CreateProductBody, { additionalProperties: false, minProperties: 1 });
