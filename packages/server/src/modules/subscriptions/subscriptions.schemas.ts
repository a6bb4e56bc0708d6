import Type from 'typebox';
import { Id, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { Currency, Price } from '../policies/policies.schemas.js';
import { LicenseSchema } from '../licenses/licenses.schemas.js';
import { RENEWAL_SOURCES } from './subscriptions.repository.js';

export const CancelSubscriptionBody = Type.Object(
  {
    override: Type.Optional(Type.Boolean({ description: 'Staff only: cancel although the notice period has passed' })),
    source: Type.Optional(StringEnum(['manual', 'billing'] as const, { description: 'Staff only: billing when the billing system cancelled (no notice check)' })),
  },
  { additionalProperties: false },
);

export const RenewSubscriptionBody = Type.Object(
  {
    price: Type.Optional(Nullable(Price)),
    currency: Type.Optional(Nullable(Currency)),
    source: Type.Optional(StringEnum(['manual', 'billing'] as const, { description: 'Staff only; default manual' })),
    reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The billing system's id for this renewal (an invoice id): a repeat changes nothing" })),
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

export const RenewalSchema = Type.Object({
  id: Type.String(),
  licenseId: Type.String(),
  customerId: Nullable(Type.String()),
  productId: Type.String(),
  fromExpiry: Timestamp,
  toExpiry: Timestamp,
  price: Nullable(Type.Integer({ description: 'Minor units (cents)' })),
  currency: Nullable(Type.String()),
  source: StringEnum(RENEWAL_SOURCES),
  reference: Nullable(Type.String()),
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()) }),
  at: Timestamp,
});

export const RenewSubscriptionResponse = Type.Object({
  license: LicenseSchema,
  renewal: RenewalSchema,
  created: Type.Boolean({ description: 'false: the reference had been used; nothing changed' }),
});

const renewalFilters = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Renewals made at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Renewals made before this instant' })),
  productId: Type.Optional(Id),
  customerId: Type.Optional(Id),
  licenseId: Type.Optional(Id),
  partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: "Only renewals of this partner's customers" })),
  source: Type.Optional(StringEnum(RENEWAL_SOURCES)),
};

export const ListRenewalsQuery = Type.Object(
  { ...renewalFilters, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), cursor: Type.Optional(Id) },
  { additionalProperties: false },
);
export const ExportRenewalsQuery = Type.Object(renewalFilters, { additionalProperties: false });
