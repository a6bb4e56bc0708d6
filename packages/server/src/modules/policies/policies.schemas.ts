import Type from 'typebox';
import { Id, Metadata, Nullable, Timestamp, StringEnum } from '../../http/schemas.js';
import { MetersSchema } from './meters.js';
import { EXPIRY_ENDS, POLICY_KINDS } from './policies.repository.js';
import { MAX_OFFLINE_DAYS } from './policies.service.js';
import { ALIGNMENTS, FIRST_TERMS, RENEWERS } from './subscription-terms.js';

export const Feature = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' });
export const Features = Type.Array(Feature, { maxItems: 200 });
export const Countries = Type.Array(Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2' }), {
  maxItems: 250,
  description: 'Allowed countries; empty: all',
});
const ActivationLimitsSchema = Type.Object(
  {
    activations: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Activations per license per window; null: unlimited' })),
    deactivations: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Deactivations per license per window; null: unlimited' })),
    periodDays: Type.Integer({ minimum: 1, maximum: 3650 }),
  },
  { additionalProperties: false, description: 'Anti-abuse: stops deactivate → activate cycles from turning one seat into many' },
);
const OverdraftSchema = Type.Union(
  [
    Type.Object({ seats: Type.Integer({ minimum: 1, maximum: 1_000_000 }) }, { additionalProperties: false }),
    Type.Object({ factor: Type.Number({ minimum: 1, maximum: 10 }) }, { additionalProperties: false }),
  ],
  { description: 'Seats allowed beyond maxMachines (valid with the warning code OVERDRAFT, and an alert event)' },
);
const OfflineMaxDays = Type.Integer({
  minimum: 1,
  maximum: MAX_OFFLINE_DAYS,
  description:
    'The longest lifetime of an offline license file, in days (default 30). Checkout clamps a longer ttlDays to it; a bound file holds its machine seat until it expires or is checked in',
});
const Kind = StringEnum(POLICY_KINDS);
const ExpiryEndsSchema = StringEnum(EXPIRY_ENDS, {
  description:
    'What the expiry ends. access (default): the license stops validating (EXPIRED). updates, the maintenance model: it keeps validating (MAINTENANCE_EXPIRED) and is offered and may download only releases published before its expiry',
});
export const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217, e.g. EUR' });
export const Price = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Minor units (cents), as billing systems count' });
export const TermMonths = Type.Integer({ minimum: 1, maximum: 1200, description: 'The term in calendar months (12: a year); instead of durationDays' });
export const AlignmentSchema = StringEnum(ALIGNMENTS, {
  description: 'Where terms end: the anniversary of purchase or of first activation, 1 January (calendar-year) or the fiscal year start (UTC)',
});
export const FirstTermSchema = StringEnum(FIRST_TERMS, { description: 'A first term shortened to a year boundary: at the full price (shorten) or a prorated one' });
export const RenewerSchema = StringEnum(RENEWERS, { description: 'keyhaven: the renewal sweep renews at term end; billing: an external billing system calls renewSubscription' });
export const NoticeDays = Type.Integer({ minimum: 0, maximum: 3650, description: 'Cancellations are refused later than this many days before term end (unless staff override)' });

export const PolicySchema = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  name: Type.String(),
  kind: Kind,
  durationDays: Nullable(Type.Integer()),
  termMonths: Nullable(Type.Integer()),
  maxMachines: Nullable(Type.Integer()),
  maxUsers: Nullable(Type.Integer()),
  floating: Type.Boolean(),
  heartbeatSeconds: Nullable(Type.Integer()),
  graceDays: Type.Integer(),
  features: Type.Array(Type.String()),
  enforceDomains: Type.Boolean(),
  meters: MetersSchema,
  countries: Type.Array(Type.String()),
  activationLimits: Nullable(ActivationLimitsSchema),
  overdraft: Nullable(OverdraftSchema),
  offlineMaxDays: OfflineMaxDays,
  expiryEnds: ExpiryEndsSchema,
  autoRenew: Type.Boolean(),
  renewedBy: RenewerSchema,
  cancellationNoticeDays: Type.Integer(),
  alignment: AlignmentSchema,
  fiscalYearStartMonth: Nullable(Type.Integer()),
  firstTerm: FirstTermSchema,
  price: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  kind: Kind,
  durationDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 36_500, description: 'null: perpetual (or a term in termMonths)' }))),
  termMonths: Type.Optional(Nullable(TermMonths)),
  maxMachines: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'null: unlimited' }))),
  maxUsers: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Named users per license (per-user licensing); null: no limit' }))),
  floating: Type.Optional(Type.Boolean()),
  heartbeatSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 10, maximum: 30 * 86_400 }))),
  graceDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  features: Type.Optional(Features),
  enforceDomains: Type.Optional(Type.Boolean()),
  meters: Type.Optional(MetersSchema),
  countries: Type.Optional(Countries),
  activationLimits: Type.Optional(Nullable(ActivationLimitsSchema)),
  overdraft: Type.Optional(Nullable(OverdraftSchema)),
  offlineMaxDays: Type.Optional(OfflineMaxDays),
  expiryEnds: Type.Optional(ExpiryEndsSchema),
  autoRenew: Type.Optional(Type.Boolean({ description: 'Subscriptions: renew at term end unless cancelled (default true for subscription policies)' })),
  renewedBy: Type.Optional(RenewerSchema),
  cancellationNoticeDays: Type.Optional(NoticeDays),
  alignment: Type.Optional(AlignmentSchema),
  fiscalYearStartMonth: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 12 }))),
  firstTerm: Type.Optional(FirstTermSchema),
  price: Type.Optional(Nullable(Price)),
  currency: Type.Optional(Nullable(Currency)),
  metadata: Type.Optional(Metadata),
};

export const CreatePolicyBody = Type.Object({ productId: Id, ...fields }, { additionalProperties: false });
export const UpdatePolicyBody = Type.Object(
  { ...fields, name: Type.Optional(fields.name), kind: Type.Optional(Kind) },
  { additionalProperties: false, minProperties: 1 },
);
export const ListPoliciesQuery = Type.Object(
  {
    productId: Type.Optional(Id),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);
