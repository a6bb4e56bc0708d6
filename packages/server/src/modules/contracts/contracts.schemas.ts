import Type from 'typebox';
import { Id, ListQuery, Nullable, NullableTimestamp, StringEnum, Timestamp } from '../../http/schemas.js';
import { CONTRACT_STATUSES, CONTRACT_UNITS } from './contracts.repository.js';
import { POLICY_KINDS } from '../policies/policies.service.js';

const Quantity = Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Licenses or seats the contract allows; null: unlimited' }));

export const ContractSchema = Type.Object({
  id: Type.String(),
  customerId: Nullable(Type.String({ description: 'The customer organization that holds it (or null: a partner does)' })),
  partnerId: Nullable(Type.String({ description: 'The partner that holds it (or null: a customer does)' })),
  policyId: Nullable(Type.String({ description: 'The policy it covers (or null: a product group)' })),
  productGroupId: Nullable(Type.String({ description: 'The product group it covers (or null: a policy)' })),
  unit: StringEnum(CONTRACT_UNITS, { description: 'licenses: each license draws 1; seats: each license draws its maxMachines' }),
  quantity: Nullable(Type.Integer()),
  used: Type.Integer({ description: 'Drawn so far (revoked licenses still count)' }),
  remaining: Nullable(Type.Integer({ description: 'quantity − used; null: unlimited' })),
  status: StringEnum(CONTRACT_STATUSES, { description: 'cancelled, ended (past endsAt), exhausted (nothing remains) or active' }),
  endsAt: NullableTimestamp,
  alerted80At: NullableTimestamp,
  alerted100At: NullableTimestamp,
  cancelledAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ContractPolicySchema = Type.Object({
  id: Type.String({ description: 'The policy' }),
  name: Type.String(),
  kind: StringEnum(POLICY_KINDS),
  maxMachines: Nullable(Type.Integer({ description: 'Seats of a license of it (null: unlimited; a seats contract draws this many)' })),
  productId: Type.String(),
  productName: Type.String(),
});

export const CreateContractBody = Type.Object(
  {
    customerId: Type.Optional(Nullable(Id)),
    partnerId: Type.Optional(Nullable(Id)),
    policyId: Type.Optional(Nullable(Id)),
    productGroupId: Type.Optional(Nullable(Id)),
    unit: StringEnum(CONTRACT_UNITS),
    quantity: Quantity,
    endsAt: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false },
);

export const UpdateContractBody = Type.Object(
  { quantity: Type.Optional(Quantity), endsAt: Type.Optional(NullableTimestamp) },
  { additionalProperties: false, minProperties: 1 },
);

export const ListContractsQuery = Type.Object(
  { customerId: Type.Optional(Id), partnerId: Type.Optional(Id), policyId: Type.Optional(Id), ...ListQuery.properties },
  { additionalProperties: false },
);
