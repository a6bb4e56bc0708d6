import Type from 'typebox';
import { ROLES } from '../../http/access.js';
import { Id, Nullable, NullableTimestamp, Timestamp, StringEnum } from '../../http/schemas.js';
import { Email } from '../customers/customers.schemas.js';

/** The shortest password a user may have: the body schemas check it, and the passwords module applies it too. */
export const PASSWORD_MIN_LENGTH = 10;

export const RoleSchema = StringEnum(ROLES);
export const Password = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: 200 });

export const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Nullable(Type.String()),
  kind: Type.Union([Type.Literal('staff'), Type.Literal('customer'), Type.Literal('partner')]),
  role: RoleSchema,
  customerId: Nullable(Type.String()),
  partnerId: Nullable(Type.String()),
  disabled: Type.Boolean(),
  hasPassword: Type.Boolean(),
  lastSignInAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateUserBody = Type.Object(
  {
    email: Email,
    name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    password: Type.Optional(Password),
    role: RoleSchema,
    customerId: Type.Optional(Id),
    partnerId: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const UpdateUserBody = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    role: Type.Optional(RoleSchema),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ListUsersQuery = Type.Object(
  {
    customerId: Type.Optional(Id),
    partnerId: Type.Optional(Id),
    kind: Type.Optional(Type.Union([Type.Literal('staff'), Type.Literal('customer'), Type.Literal('partner')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);
