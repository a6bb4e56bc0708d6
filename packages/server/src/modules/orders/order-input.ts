import { createHash } from 'node:crypto';
import type { Policy } from '../policies/policies.service.js';
import type { OrderBilling, OrderSource } from './orders.repository.js';

// An order's input as callers send it, and its normal form: what makes a repeat "the same order".

export interface OrderItemInput {
  policyId: string;
  /** Seats: the license gets the policy's seats times this (default 1). */
  quantity?: number;
  /** The line's name; also the license's name. */
  name?: string | null;
  /** Line total in minor units (cents). */
  price?: number | null;
  currency?: string | null;
}

export interface CreateOrderInput {
  externalId: string;
  source?: OrderSource;
  customer: { email: string; name?: string | null; company?: string | null };
  items: OrderItemInput[];
  billing?: Partial<OrderBilling>;
  /** Send the confirmation mail (license keys and a portal link); default true. */
  sendEmail?: boolean;
  metadata?: Record<string, unknown>;
}

const DEFAULT_METHOD: Record<OrderSource, string | null> = { api: null, manual: 'manual', stripe: 'stripe' };

/** Seats for a line: a per-user policy multiplies its users, any other its machines (unlimited stays unlimited). */
export function seatsFor(policy: Pick<Policy, 'maxMachines' | 'maxUsers'>, quantity: number): { maxMachines?: number | null; maxUsers?: number | null } {
  if (policy.maxUsers !== null) return { maxUsers: policy.maxUsers * quantity };
  if (policy.maxMachines !== null) return { maxMachines: policy.maxMachines * quantity };
  return {};
}

export interface NormalizedOrder {
  source: OrderSource;
  externalId: string;
  customer: { email: string; name: string | null; company: string | null };
  items: Required<OrderItemInput>[];
  billing: OrderBilling;
  metadata: Record<string, unknown>;
}

function clean(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export function normalize(input: CreateOrderInput): NormalizedOrder {
  const source = input.source ?? 'api';
  return {
    source,
    externalId: input.externalId,
    customer: { email: input.customer.email.trim().toLowerCase(), name: clean(input.customer.name), company: clean(input.customer.company) },
    items: input.items.map((item) => ({
      policyId: item.policyId,
      quantity: item.quantity ?? 1,
      name: clean(item.name),
      price: item.price ?? null,
      currency: item.currency ? item.currency.toUpperCase() : null,
    })),
    billing: {
      invoiceUrl: input.billing?.invoiceUrl ?? null,
      paymentStatus: clean(input.billing?.paymentStatus),
      purchaseMethod: clean(input.billing?.purchaseMethod) ?? DEFAULT_METHOD[source],
      reference: clean(input.billing?.reference),
    },
    metadata: input.metadata ?? {},
  };
}

/** SHA-256 of the normalized order (without `sendEmail`): what makes a repeat "the same order". */
export function hashOf(order: NormalizedOrder): string {
  return createHash('sha256').update(JSON.stringify(order)).digest('hex');
}
