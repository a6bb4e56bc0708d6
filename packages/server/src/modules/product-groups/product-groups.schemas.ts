import Type from 'typebox';
import { Id, Timestamp } from '../../http/schemas.js';

export const ProductGroupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  position: Type.Integer({ description: 'Order on selection screens (then name)' }),
  productIds: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ProductGroupList = Type.Object({ data: Type.Array(ProductGroupSchema) }, { description: 'Every group, by position then name' });

export const CreateProductGroupBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    productIds: Type.Array(Id, { maxItems: 1000, description: 'The products of the group; a product may be in several groups' }),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Order on selection screens (default 0; then by name)' })),
  },
  { additionalProperties: false },
);

export const UpdateProductGroupBody = Type.Partial(CreateProductGroupBody, {
  additionalProperties: false,
  minProperties: 1,
  description: 'productIds, when sent, replaces the set',
});
