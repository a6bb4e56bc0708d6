import Type from 'typebox';
import { HttpUrl, Id, Metadata, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { Email } from '../customers/customers.schemas.js';
import { LicenseSchema } from '../licenses/licenses.schemas.js';
import { ORDER_SOURCES } from './orders.repository.js';

const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code, e.g. EUR' });
const Amount = Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Minor units (cents)' });
const ExternalId = Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S(.*\\S)?$', description: 'Your order number: a repeat with the same source and externalId is the same order' });

const BillingFields = {
  invoiceUrl: Nullable(HttpUrl()),
  paymentStatus: Nullable(Type.String({ maxLength: 50, description: 'e.g. paid, pending, refunded' })),
  purchaseMethod: Nullable(Type.String({ maxLength: 50, description: 'e.g. web shop, e-mail, invoice, reseller (default: manual for manual orders, stripe for Stripe)' })),
  reference: Nullable(Type.String({ maxLength: 200, description: 'Invoice or order number shown on the licenses (default: externalId)' })),
};

export const CreateOrderBody = Type.Object(
  {
    externalId: ExternalId,
    source: Type.Optional(StringEnum(ORDER_SOURCES, { description: 'api (default); manual for an order staff enter by hand (e.g. received by e-mail); stripe is what the Stripe adapter uses' })),
    customer: Type.Object(
      {
        email: Email,
        name: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
        company: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
      },
      { additionalProperties: false },
    ),
    items: Type.Array(
      Type.Object(
        {
          policyId: Id,
          quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Seats: the license allows the policy\'s seats times this (default 1)' })),
          name: Type.Optional(Nullable(Type.String({ maxLength: 200, description: 'Line name; also the license name' }))),
          price: Type.Optional(Nullable(Amount)),
          currency: Type.Optional(Nullable(Currency)),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50, description: 'One license per line' },
    ),
    billing: Type.Optional(
      Type.Object(
        {
          invoiceUrl: Type.Optional(BillingFields.invoiceUrl),
          paymentStatus: Type.Optional(BillingFields.paymentStatus),
          purchaseMethod: Type.Optional(BillingFields.purchaseMethod),
          reference: Type.Optional(BillingFields.reference),
        },
        { additionalProperties: false },
      ),
    ),
    sendEmail: Type.Optional(Type.Boolean({ description: 'Send the confirmation mail with the keys and a portal link (default true)' })),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

const OrderItemSchema = Type.Object({
  policyId: Type.String(),
  productId: Type.String(),
  licenseId: Type.String(),
  quantity: Type.Integer(),
  name: Nullable(Type.String()),
  price: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
});

export const OrderSchema = Type.Object({
  id: Type.String(),
  source: StringEnum(ORDER_SOURCES),
  externalId: Type.String(),
  customerId: Type.String(),
  userId: Nullable(Type.String({ description: "The buyer's portal user; null when the e-mail belongs to a staff user" })),
  email: Type.String(),
  customerName: Nullable(Type.String()),
  company: Nullable(Type.String()),
  items: Type.Array(OrderItemSchema),
  total: Nullable(Type.Integer({ description: 'Minor units; null unless known' })),
  currency: Nullable(Type.String()),
  billing: Type.Object(BillingFields),
  subscriptionRef: Nullable(Type.String({ description: 'The shop subscription (Stripe sub_…) this order started' })),
  mailIds: Type.Array(Type.String(), { description: 'Confirmation mails in the outbox' }),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
});

export const OrderResultSchema = Type.Object({
  ...OrderSchema.properties,
  licenses: Type.Array(
    Type.Object({
      ...LicenseSchema.properties,
      key: Type.Optional(Type.String({ description: 'In the answer that created the order; in a repeat only for callers allowed to reveal keys' })),
    }),
  ),
});

/** The filters of the order list, shared by its CSV export. */
const OrderFilterProps = {
  customerId: Type.Optional(Id),
  source: Type.Optional(StringEnum(ORDER_SOURCES)),
  externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  licenseId: Type.Optional(Id),
  partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: "Only orders of this partner's customers" })),
};

export const ExportOrdersQuery = Type.Object(OrderFilterProps, { additionalProperties: false });

export const ListOrdersQuery = Type.Object(
  {
    ...OrderFilterProps,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const StripeWebhookResponse = Type.Object({
  received: Type.Literal(true),
  outcome: StringEnum(['processed', 'ignored', 'duplicate'] as const),
  detail: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
});
