import Type from 'typebox';
import { Metadata, Nullable, Timestamp } from '../../http/schemas.js';

const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$', description: 'Lowercase, stable; apps may name the product by it' });

export const ProductSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    url: Nullable(Type.String()),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
);

export const CreateProductBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    code: Type.Optional(Code),
    description: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    url: Type.Optional(Nullable(Type.String({ format: 'uri', maxLength: 2000 }))),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const UpdateProductBody = Type.Partial(CreateProductBody, { additionalProperties: false, minProperties: 1 });
