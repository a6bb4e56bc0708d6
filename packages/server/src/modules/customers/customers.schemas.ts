import Type from 'typebox';
import { Id, Metadata, Nullable, Timestamp } from '../../http/schemas.js';

export const Email = Type.String({ format: 'email', maxLength: 320 });

const ContactSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.Optional(Email),
    phone: Type.Optional(Type.String({ maxLength: 50 })),
    role: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const CustomerSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  contacts: Type.Array(ContactSchema),
  notes: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  partnerId: Nullable(Type.String({ description: 'The partner the customer belongs to; null: the vendor\'s own' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Email,
  contacts: Type.Optional(Type.Array(ContactSchema, { maxItems: 100 })),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
  metadata: Type.Optional(Metadata),
  partnerId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Staff: assign the customer to a partner (null: the vendor\'s own). A partner\'s users create customers of their own partner' }))),
};

export const CreateCustomerBody = Type.Object(fields, { additionalProperties: false });
export const UpdateCustomerBody = Type.Object(
  { ...fields, name: Type.Optional(fields.name), email: Type.Optional(fields.email) },
  { additionalProperties: false, minProperties: 1 },
);
/** The filters of the customer list, shared by its CSV export. */
const CustomerFilterProps = {
  email: Type.Optional(Type.String({ maxLength: 320 })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Search name and e-mail' })),
  partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only the customers of this partner (the console\'s partner page)' })),
};

export const ExportCustomersQuery = Type.Object(CustomerFilterProps, { additionalProperties: false });

export const ListCustomersQuery = Type.Object(
  {
    ...CustomerFilterProps,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);
