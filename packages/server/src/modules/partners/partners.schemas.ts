import Type from 'typebox';
import { PARTNER_RIGHTS } from '../../http/access.js';
import { Id, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { Email } from '../customers/customers.schemas.js';

export const PartnerRightSchema = StringEnum(PARTNER_RIGHTS);

const GrantSchema = Type.Object(
  {
    productGroupId: Id,
    rights: Type.Array(PartnerRightSchema, { minItems: 1, maxItems: PARTNER_RIGHTS.length * 2, description: 'What the partner may do with the products of this group' }),
  },
  { additionalProperties: false },
);

export const PartnerSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Nullable(Type.String()),
  grants: Type.Array(Type.Object({ productGroupId: Type.String(), rights: Type.Array(PartnerRightSchema) })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreatePartnerBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Nullable(Email)),
    grants: Type.Array(GrantSchema, { maxItems: 200, description: 'Rights per product group; a partner may hold different rights on different groups' }),
  },
  { additionalProperties: false },
);

export const UpdatePartnerBody = Type.Partial(CreatePartnerBody, { additionalProperties: false, minProperties: 1, description: 'grants, when sent, replaces them all' });

export const ListPartnersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Part of the name or e-mail' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);
