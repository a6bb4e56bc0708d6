import type { Timestamp, JsonText } from '../../db/columns.js';

// The tables this module owns, as stored; only this module queries them (db/schema.ts assembles all).

/** A purchase: one license per item, for a customer found or created by e-mail. */
export interface OrdersTable {
  id: string;
  /** api | manual | stripe */
  source: string;
  external_id: string;
  request_hash: string;
  customer_id: string;
  user_id: string | null;
  email: string;
  customer_name: string | null;
  company: string | null;
  /** Minor units (cents). */
  total: number | null;
  currency: string | null;
  /** {invoiceUrl, paymentStatus, purchaseMethod, reference} */
  billing: JsonText;
  subscription_ref: string | null;
  /** JSON array of outbox ids. */
  mail_ids: JsonText;
  metadata: JsonText;
  created_at: Timestamp;
}

export interface OrderItemsTable {
  id: string;
  order_id: string;
  position: number;
  policy_id: string;
  product_id: string;
  license_id: string;
  quantity: number;
  name: string | null;
  price: number | null;
  currency: string | null;
}

/** Shop events already handled (Stripe event ids), written with their effects. */
export interface InboundEventsTable {
  source: string;
  event_id: string;
  type: string;
  /** processed | ignored */
  outcome: string;
  detail: string | null;
  order_id: string | null;
  received_at: Timestamp;
}
