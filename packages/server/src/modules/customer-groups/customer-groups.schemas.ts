import Type from 'typebox';
import { Id, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { GROUP_VISIBILITIES } from './customer-groups.repository.js';

const Visibility = StringEnum(GROUP_VISIBILITIES, {
  description: "Who of the group sees a ticket allocated to the group but to no person: all its members, or only its admins",
});
const GroupName = Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$' });

export const CustomerGroupSchema = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  name: Type.String(),
  visibility: Visibility,
  members: Type.Array(
    Type.Object({
      userId: Type.String(),
      email: Type.String(),
      name: Nullable(Type.String()),
      admin: Type.Boolean({ description: "A group admin sees every ticket of the group and allocates them within it" }),
      addedAt: Timestamp,
    }),
    { description: 'The members; a plain member of the group sees only itself here' },
  ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreateCustomerGroupBody = Type.Object({ name: GroupName, visibility: Type.Optional(Visibility) }, { additionalProperties: false });
export const UpdateCustomerGroupBody = Type.Object({ name: Type.Optional(GroupName), visibility: Type.Optional(Visibility) }, { additionalProperties: false, minProperties: 1 });
export const AddCustomerGroupMemberBody = Type.Object(
  { userId: Id, admin: Type.Optional(Type.Boolean({ default: false, description: 'Make the user an admin of the group (false: a plain member)' })) },
  { additionalProperties: false },
);
export const GroupMemberParams = Type.Object({ id: Id, userId: Id }, { additionalProperties: false });
