import Type from 'typebox';
import { HttpUrl, Id, Metadata, Nonce, Nullable, NullableTimestamp, Timestamp, StringEnum } from '../../http/schemas.js';
import { AlignmentSchema, Countries, Currency, Features, FirstTermSchema, NoticeDays, Price, RenewerSchema, TermMonths } from '../policies/policies.schemas.js';
import { LICENSE_STATUSES } from './license-status.js';
import { LICENSE_TYPES } from './licenses.repository.js';
import { VALIDATION_CODES } from './validation-codes.js';
import { MetersSchema } from '../policies/meters.js';

const Status = StringEnum(LICENSE_STATUSES);
const LicenseTypeSchema = StringEnum(LICENSE_TYPES);
const Domain = Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?$' });

const BillingSchema = Type.Object(
  {
    invoiceLinks: Type.Array(HttpUrl(), { maxItems: 100 }),
    paymentStatus: Nullable(Type.String({ maxLength: 50, description: 'e.g. paid, pending, refunded, failed' })),
    purchaseMethod: Nullable(Type.String({ maxLength: 50, description: 'e.g. web shop, e-mail, invoice, reseller' })),
    reference: Nullable(Type.String({ maxLength: 200, description: 'order or invoice number' })),
  },
  { additionalProperties: false },
);

/** What a client application sees of a license (no billing, notes or customer details). */
export const ClientLicenseSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  product: Type.String({ description: 'The product code' }),
  productId: Type.String(),
  type: Type.String(),
  status: Status,
  startsAt: Timestamp,
  expiresAt: NullableTimestamp,
  graceEndsAt: NullableTimestamp,
  features: Type.Array(Type.String()),
  domains: Type.Array(Type.String()),
  maxMachines: Nullable(Type.Integer()),
  maxUsers: Nullable(Type.Integer({ description: 'Named users allowed (per-user licensing); null: no limit' })),
  activeMachines: Type.Integer(),
  floating: Type.Boolean(),
  heartbeatSeconds: Nullable(Type.Integer()),
  expiryEnds: Type.Optional(
    StringEnum(['access', 'updates'] as const, { description: "What the expiry ends (the policy's expiryEnds): access, or updates under the maintenance model" }),
  ),
});

/** A subscription's terms and state, with the derived renewal date and cancellation deadline. */
export const SubscriptionSchema = Type.Object({
  termMonths: Nullable(Type.Integer()),
  termDays: Nullable(Type.Integer()),
  alignment: AlignmentSchema,
  fiscalYearStartMonth: Nullable(Type.Integer()),
  firstTerm: FirstTermSchema,
  cancellationNoticeDays: Type.Integer(),
  price: Nullable(Type.Integer({ description: 'Price of a full term in minor units (cents)' })),
  currency: Nullable(Type.String()),
  firstTermPrice: Nullable(Type.Integer({ description: 'What the first term cost (prorated when shortened to align, with firstTerm: prorate)' })),
  anchorAt: NullableTimestamp,
  autoRenew: Type.Boolean(),
  renewedBy: RenewerSchema,
  cancelledAt: NullableTimestamp,
  termStartsAt: Nullable(Type.String({ format: 'date-time', description: 'null: the term starts at the first activation (activation alignment)' })),
  renewsAt: Nullable(Type.String({ format: 'date-time', description: 'When it renews next; null when it will not' })),
  cancellationDeadline: Nullable(Type.String({ format: 'date-time', description: 'Cancellations of the current term are accepted until then (null: until term end)' })),
});

const SubscriptionOverridesSchema = Type.Object(
  {
    termMonths: Type.Optional(TermMonths),
    termDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
    alignment: Type.Optional(AlignmentSchema),
    fiscalYearStartMonth: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 12 }))),
    firstTerm: Type.Optional(FirstTermSchema),
    cancellationNoticeDays: Type.Optional(NoticeDays),
    autoRenew: Type.Optional(Type.Boolean()),
    renewedBy: Type.Optional(RenewerSchema),
    price: Type.Optional(Nullable(Price)),
    currency: Type.Optional(Nullable(Currency)),
  },
  { additionalProperties: false, description: "Subscription policies only: this license's own terms and price instead of the policy's" },
);

const SubscriptionUpdateSchema = Type.Object(
  {
    price: Type.Optional(Nullable(Price)),
    currency: Type.Optional(Nullable(Currency)),
    cancellationNoticeDays: Type.Optional(NoticeDays),
    renewedBy: Type.Optional(RenewerSchema),
  },
  { additionalProperties: false, minProperties: 1, description: 'Price and renewal terms for the following terms (term and alignment: change the policy)' },
);

/** Who in the customer organization the license (the ticket) is for. */
export const AllocationSchema = Type.Object(
  {
    kind: StringEnum(['organization', 'group', 'user'] as const, { description: 'organization: anyone of it; group: a group of its people; user: one named person' }),
    groupId: Nullable(Type.String({ description: 'The group (for a named user: the group they hold it through, whose admins see it too)' })),
    userId: Nullable(Type.String()),
  },
  { description: "The license's ticket: who of the customer organization sees and uses it" },
);

/** The full license as staff see it. */
export const LicenseSchema = Type.Object({
  ...ClientLicenseSchema.properties,
  keyHint: Type.String({ description: 'The last group of the key' }),
  policyId: Type.String(),
  customerId: Nullable(Type.String()),
  graceDays: Type.Integer(),
  suspendedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
  meters: MetersSchema,
  countries: Type.Array(Type.String()),
  billing: BillingSchema,
  notes: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  subscription: Nullable(SubscriptionSchema),
  allocation: AllocationSchema,
  contractId: Nullable(Type.String({ description: 'The contract (license pack, volume contract) the license was drawn from' })),
  soldBy: Nullable(Type.String({ description: 'The partner that sold the license; null: the vendor' })),
  createdBy: Nullable(Type.String({ description: 'Who created it (the acting user or token); null for licenses from before' })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const CreatedLicenseSchema = Type.Object({ ...LicenseSchema.properties, key: Type.String({ description: 'Shown once' }) });

const editable = {
  customerId: Type.Optional(Nullable(Id)),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  type: Type.Optional(LicenseTypeSchema),
  startsAt: Type.Optional(Timestamp),
  expiresAt: Type.Optional(NullableTimestamp),
  maxMachines: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 }))),
  maxUsers: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 }))),
  features: Type.Optional(Features),
  domains: Type.Optional(Type.Array(Domain, { maxItems: 200 })),
  meters: Type.Optional(MetersSchema),
  countries: Type.Optional(Countries),
  billing: Type.Optional(Type.Partial(BillingSchema, { additionalProperties: false })),
  notes: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
  metadata: Type.Optional(Metadata),
  graceDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
};

export const CreateLicenseBody = Type.Object(
  {
    policyId: Id,
    ...editable,
    subscription: Type.Optional(SubscriptionOverridesSchema),
    contractId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: '^[A-Za-z0-9_-]+$',
        description:
          "Draw the license from this contract (license pack, volume contract): 422 QUOTA_EXHAUSTED when it is used up, CONTRACT_ENDED when it ended or was cancelled. Customer admins create licenses only this way, for their own organization and on the policy's terms.",
      }),
    ),
  },
  { additionalProperties: false },
);
export const UpdateLicenseBody = Type.Object({ ...editable, subscription: Type.Optional(SubscriptionUpdateSchema) }, { additionalProperties: false, minProperties: 1 });

export const FeaturesBody = Type.Object({ features: Type.Array(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' }), { minItems: 1, maxItems: 200 }) }, { additionalProperties: false });
export const AddSeatsBody = Type.Object({ seats: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Machines added to maxMachines (a seat pack)' }) }, { additionalProperties: false });
export const ChangePolicyBody = Type.Object(
  {
    policyId: Id,
    keepExpiry: Type.Boolean({ description: "true: the expiry stays; false: a new term of the new policy starts now" }),
  },
  { additionalProperties: false },
);
export const ExtendLicenseBody = Type.Object({ days: Type.Integer({ minimum: 1, maximum: 36_500 }) }, { additionalProperties: false });

/** The filters of the license list, shared by its CSV export. */
const LicenseFilterProps = {
  productId: Type.Optional(Id),
  policyId: Type.Optional(Id),
  customerId: Type.Optional(Id),
  status: Type.Optional(Status),
  type: Type.Optional(LicenseTypeSchema),
  expiresBefore: Type.Optional(Timestamp),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "Search the name, the last group of the key, or the customer's name or e-mail" })),
  allocatedTo: Type.Optional(StringEnum(['me'] as const, { description: 'me: only the tickets allocated to the signed-in user by name ("my tickets")' })),
  soldBy: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Only licenses sold by this partner (created by its users: `soldBy`)' })),
  partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: "Only licenses of this partner's customers (customers created by it or assigned to it)" })),
};

export const ListLicensesQuery = Type.Object(
  {
    ...LicenseFilterProps,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const ExportLicensesQuery = Type.Object(LicenseFilterProps, { additionalProperties: false });

export const AllocateLicenseBody = Type.Object(
  {
    groupId: Type.Optional(Id),
    userId: Type.Optional(Id),
  },
  { additionalProperties: false, description: '{} → the organization; {groupId} → a group; {userId} → a person; {groupId, userId} → a member of that group' },
);

export const LookupLicenseBody = Type.Object({ key: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

const LicenseKey = Type.String({ minLength: 1, maxLength: 100, description: 'The license key as typed; case, dashes and spaces do not matter' });

export const ValidateBody = Type.Object(
  {
    key: LicenseKey,
    fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Product id or code the app expects' })),
    domain: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })),
    features: Type.Optional(Features),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    nonce: Type.Optional(Nonce),
  },
  { additionalProperties: false },
);

export const ValidateResponse = Type.Object({
  valid: Type.Boolean(),
  code: StringEnum(VALIDATION_CODES),
  detail: Type.String(),
  ts: Timestamp,
  nonce: Type.Optional(Type.String()),
  scope: Type.Object(
    {
      fingerprint: Nullable(Type.String()),
      product: Nullable(Type.String()),
      features: Nullable(Type.Array(Type.String())),
      domain: Nullable(Type.String()),
    },
    { description: 'What the answer covers, exactly as the request gave it (null where not given): a client checks it equals its own request' },
  ),
  keyDigest: Type.String({
    description: 'base64url SHA-256 of "keyhaven-license-key" NUL and the canonical key (upper case, no dashes): ties an answer kept offline to its key',
  }),
  license: Type.Optional(ClientLicenseSchema),
});

export const PublicKeyResponse = Type.Object({
  keyId: Type.String(),
  algorithm: Type.Literal('ed25519'),
  publicKey: Type.String({ description: 'Base64 of the raw 32-byte Ed25519 public key' }),
  pem: Type.String(),
  nonce: Type.Optional(Type.String()),
});
