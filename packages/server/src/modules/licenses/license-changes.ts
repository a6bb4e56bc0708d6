import { AppError } from '../../http/errors.js';
import { stripUndefined } from '../../lib/objects.js';
import { normalizeCountries, type Policy, type PolicyKind } from '../policies/policies.service.js';
import { startSubscription, subscriptionTermProblems, type Subscription, type SubscriptionOverrides } from '../policies/subscription.js';
import { addTerm, termOf } from '../policies/subscription-terms.js';
import { normalizeMeters } from '../policies/meters.js';
import type { ChangePolicyInput, CreateLicenseInput, License, UpdateLicenseInput } from './license.js';
import { graceEndsAt } from './license-status.js';
import type { Product } from '../products/products.service.js';
import type { Customer } from '../customers/customers.service.js';
import { ORGANIZATION_ALLOCATION, type Billing, type LicenseRecord, type LicenseType } from './licenses.repository.js';

/**
 * What issuing and each change do to a license, as pure functions of the license as it is, the request
 * and the time: each returns the record to store (a change: or null for "nothing to do"), or throws the
 * AppError the request gets. LicensesService runs them in their transaction (a change: `applyChange`
 * loads, locks, writes and audits it under its own history action).
 */

const TYPE_OF_KIND: Record<PolicyKind, LicenseType> = { perpetual: 'commercial', timed: 'commercial', subscription: 'subscription', trial: 'trial' };

const EMPTY_BILLING: Billing = { invoiceLinks: [], paymentStatus: null, purchaseMethod: null, reference: null };

/** The latest instant a license date may reach: later ones have no four-digit-year ISO-8601 form. */
const LATEST_DATE = Date.parse('9999-12-31T23:59:59.999Z');

/** A term or grace period that would run past year 9999 (a far start plus a long policy, or a long extension). */
export function checkDates(record: LicenseRecord): void {
  const late = (['startsAt', 'expiresAt', 'graceEndsAt'] as const).filter((f) => record[f] !== null && Date.parse(record[f]!) > LATEST_DATE);
  if (late.length > 0) {
    throw new AppError('VALIDATION_FAILED', 'License dates cannot go past 9999-12-31', {
      fields: Object.fromEntries(late.map((f) => [f, 'would be after 9999-12-31'])),
    });
  }
}

function normalizeDomains(domains: string[]): string[] {
  return [...new Set(domains.map((d) => d.trim().toLowerCase().replace(/\.$/, '')))];
}

/** Where a non-subscription term that starts at `start` ends under the policy (null: perpetual). */
function termEnd(policy: Policy, start: Date): string | null {
  const term = termOf(policy.termMonths, policy.durationDays);
  return term === null ? null : addTerm(start, term).toISOString();
}

function throwIfProblems(problems: Record<string, string>, prefix: string): void {
  const entries = Object.entries(problems);
  if (entries.length === 0) return;
  const fields = Object.fromEntries(entries.map(([f, m]) => [`${prefix}.${f}`, m]));
  throw new AppError('VALIDATION_FAILED', entries.map(([f, m]) => `${prefix}.${f} ${m}`).join('; '), { fields });
}

function expiryAfterStart(record: Pick<LicenseRecord, 'startsAt' | 'expiresAt'>): void {
  if (record.expiresAt !== null && record.expiresAt <= record.startsAt) {
    throw new AppError('VALIDATION_FAILED', 'expiresAt must be after startsAt', { fields: { expiresAt: 'must be after startsAt' } });
  }
}

/** Keeps only stored fields, dropping the derived ones a License carries. */
export function pickRecord(license: LicenseRecord & Partial<Pick<License, 'product' | 'status' | 'activeMachines'>>): LicenseRecord {
  const { product: _p, status: _s, activeMachines: _a, ...record } = license;
  return record;
}

/**
 * The record of a license issued from `refs.policy` at `now`: the policy's terms unless the input names
 * its own. A custom product's licenses go only to the customers it is made for.
 */
export function issued(
  input: CreateLicenseInput,
  refs: { policy: Policy; product: Product; customer: Customer | null },
  now: Date,
  identity: { id: string; keyHint: string; soldBy?: string | null; createdBy?: string | null },
): LicenseRecord {
  const { policy, product, customer } = refs;
  if (product.customerIds.length > 0 && (customer === null || !product.customerIds.includes(customer.id))) {
    throw new AppError('CUSTOM_PRODUCT', `${product.name} is a custom product: its licenses go only to the customers it is made for`, {
      fields: { customerId: 'must be one of the product\'s customerIds' },
    });
  }
  const startsAt = input.startsAt ? new Date(input.startsAt).toISOString() : now.toISOString();
  const explicitExpiresAt = input.expiresAt === undefined ? undefined : input.expiresAt === null ? null : new Date(input.expiresAt).toISOString();
  let expiresAt: string | null;
  let subscription: Subscription | null = null;
  if (policy.kind === 'subscription') {
    const started = startSubscription(policy, input.subscription ?? {}, new Date(startsAt), explicitExpiresAt === undefined ? {} : { explicitExpiresAt });
    throwIfProblems(started.problems, 'subscription');
    subscription = started.subscription;
    expiresAt = started.expiresAt;
  } else {
    if (input.subscription !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'Subscription terms apply to licenses of subscription policies only', { fields: { subscription: 'the policy is not a subscription policy' } });
    }
    expiresAt = explicitExpiresAt !== undefined ? explicitExpiresAt : termEnd(policy, new Date(startsAt));
  }
  expiryAfterStart({ startsAt, expiresAt });
  const record: LicenseRecord = {
    id: identity.id,
    keyHint: identity.keyHint,
    name: input.name ?? (customer ? `${product.name} — ${customer.name}` : product.name),
    productId: product.id,
    policyId: policy.id,
    customerId: customer?.id ?? null,
    type: input.type ?? TYPE_OF_KIND[policy.kind],
    startsAt,
    expiresAt,
    graceDays: input.graceDays ?? policy.graceDays,
    graceEndsAt: graceEndsAt(expiresAt, input.graceDays ?? policy.graceDays),
    suspendedAt: null,
    revokedAt: null,
    maxMachines: input.maxMachines !== undefined ? input.maxMachines : policy.maxMachines,
    maxUsers: input.maxUsers !== undefined ? input.maxUsers : policy.maxUsers,
    floating: policy.floating,
    heartbeatSeconds: policy.heartbeatSeconds,
    features: [...new Set(input.features ?? policy.features)],
    domains: normalizeDomains(input.domains ?? []),
    meters: normalizeMeters(input.meters ?? policy.meters),
    countries: normalizeCountries(input.countries ?? policy.countries),
    billing: { ...EMPTY_BILLING, ...input.billing },
    notes: input.notes ?? null,
    metadata: input.metadata ?? {},
    subscription,
    allocation: ORGANIZATION_ALLOCATION,
    contractId: input.contractId ?? null,
    soldBy: identity.soldBy ?? null,
    createdBy: identity.createdBy ?? null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  checkDates(record);
  return record;
}

/** An update's fields over the license (`customer`: the new customer, read beforehand, when one is named). */
export function updated(license: License, input: UpdateLicenseInput, customer: Customer | undefined): LicenseRecord {
  const next: LicenseRecord = { ...license };
  if (input.name !== undefined) next.name = input.name;
  if (input.customerId !== undefined) next.customerId = customer?.id ?? null;
  // Another organization's groups and people cannot hold the ticket: it starts over with the organization.
  if (next.customerId !== license.customerId) next.allocation = ORGANIZATION_ALLOCATION;
  if (input.type !== undefined) next.type = input.type;
  if (input.startsAt !== undefined) next.startsAt = new Date(input.startsAt).toISOString();
  if (input.expiresAt !== undefined) next.expiresAt = input.expiresAt === null ? null : new Date(input.expiresAt).toISOString();
  if (input.maxMachines !== undefined) next.maxMachines = input.maxMachines;
  if (input.maxUsers !== undefined) next.maxUsers = input.maxUsers;
  if (input.features !== undefined) next.features = [...new Set(input.features)];
  if (input.domains !== undefined) next.domains = normalizeDomains(input.domains);
  if (input.meters !== undefined) next.meters = normalizeMeters(input.meters);
  if (input.countries !== undefined) next.countries = normalizeCountries(input.countries);
  if (input.billing !== undefined) next.billing = { ...license.billing, ...input.billing };
  if (input.notes !== undefined) next.notes = input.notes;
  if (input.metadata !== undefined) next.metadata = input.metadata;
  if (input.graceDays !== undefined) next.graceDays = input.graceDays;
  if (input.subscription !== undefined) {
    if (!license.subscription) {
      throw new AppError('NOT_A_SUBSCRIPTION', 'The license is not a subscription', { fields: { subscription: 'the license is not a subscription' } });
    }
    const sub = { ...license.subscription, ...stripUndefined(input.subscription) };
    if (input.subscription.currency) sub.currency = input.subscription.currency.toUpperCase();
    throwIfProblems(subscriptionTermProblems(sub), 'subscription');
    next.subscription = sub;
  }
  expiryAfterStart(next);
  return next;
}

export function suspended(license: License, now: Date): LicenseRecord {
  if (license.revokedAt) throw transition('a revoked license cannot be suspended');
  if (license.suspendedAt) throw transition('the license is already suspended');
  return { ...license, suspendedAt: now.toISOString() };
}

export function reinstated(license: License): LicenseRecord {
  if (license.revokedAt) throw transition('a revoked license cannot be reinstated; issue a new one');
  if (!license.suspendedAt) throw transition('the license is not suspended');
  return { ...license, suspendedAt: null };
}

/** Immediate and final: validation answers REVOKED from the next request on. */
export function revoked(license: License, now: Date): LicenseRecord {
  if (license.revokedAt) throw transition('the license is already revoked');
  // A revoked subscription does not renew either.
  const subscription = license.subscription && { ...license.subscription, autoRenew: false };
  return { ...license, revokedAt: now.toISOString(), subscription };
}

/** One more term of the license's policy, from the current expiry or from now if that has passed. */
export function renewed(license: License, policy: Policy, now: Date): LicenseRecord {
  const term = termOf(policy.termMonths, policy.durationDays);
  if (license.revokedAt) throw transition('a revoked license cannot be renewed');
  if (license.subscription) throw new AppError('NOT_RENEWABLE', 'The license is a subscription: renew it with renewSubscription, which records the renewal');
  if (term === null || license.expiresAt === null) {
    throw new AppError('NOT_RENEWABLE', 'The license is perpetual; there is nothing to renew');
  }
  return { ...license, expiresAt: addTerm(extendBase(license.expiresAt, now), term).toISOString() };
}

export function extended(license: License, days: number, now: Date): LicenseRecord {
  if (license.revokedAt) throw transition('a revoked license cannot be extended');
  if (license.expiresAt === null) throw new AppError('LICENSE_PERPETUAL', 'The license does not expire; there is nothing to extend');
  return { ...license, expiresAt: addTerm(extendBase(license.expiresAt, now), { days }).toISOString() };
}

/** Renewals and extensions count from the current expiry, or from now if that has passed. */
function extendBase(expiresAt: string, now: Date): Date {
  return Date.parse(expiresAt) > now.getTime() ? new Date(expiresAt) : now;
}

/** Adds features (modules) to the license; those it has already are left alone (null: none new). */
export function featuresAdded(license: License, features: string[]): LicenseRecord | null {
  refuseRevoked(license);
  const added = features.filter((f) => !license.features.includes(f));
  return added.length === 0 ? null : { ...license, features: [...license.features, ...new Set(added)] };
}

/** Removes features from the license; naming one it does not have is a 422, so typos do not pass silently. */
export function featuresRemoved(license: License, features: string[]): LicenseRecord {
  refuseRevoked(license);
  const missing = features.filter((f) => !license.features.includes(f));
  if (missing.length > 0) {
    throw new AppError('FEATURES_MISSING', `The license does not have ${missing.join(', ')}`, { fields: { features: `not on the license: ${missing.join(', ')}` } });
  }
  return { ...license, features: license.features.filter((f) => !features.includes(f)) };
}

/** A seat pack: `seats` more machines. An unlimited license has nothing to add to. */
export function seatsAdded(license: License, seats: number): LicenseRecord {
  refuseRevoked(license);
  if (license.maxMachines === null) throw new AppError('SEATS_UNLIMITED', 'The license already allows any number of machines');
  return { ...license, maxMachines: license.maxMachines + seats };
}

/**
 * The license under another policy of the same product: the new policy's terms (type, seats, users,
 * features, meters, countries, grace, floating); key, customer, domains, billing and history stay.
 * `keepExpiry: false` starts a new term at `now` (subscriptions: by the new policy's alignment).
 */
export function policyChanged(license: License, policy: Policy, input: ChangePolicyInput & { subscription?: SubscriptionOverrides }, now: Date): LicenseRecord {
  if (license.revokedAt) throw transition('a revoked license cannot change its policy');
  if (policy.productId !== license.productId) {
    throw new AppError('POLICY_PRODUCT_MISMATCH', `Policy ${policy.id} is for another product; a license keeps its product`, {
      fields: { policyId: 'must be a policy of the license’s product' },
    });
  }
  let expiresAt = license.expiresAt;
  let subscription: Subscription | null = null;
  if (policy.kind === 'subscription') {
    const keep = input.keepExpiry ? { explicitExpiresAt: license.expiresAt } : {};
    const started = startSubscription(policy, input.subscription ?? {}, now, { ...keep, hasMachines: license.activeMachines > 0 });
    throwIfProblems(started.problems, 'subscription');
    // Kept state of a subscription that stays one: cancelled stays cancelled.
    subscription = license.subscription && input.keepExpiry
      ? { ...started.subscription, autoRenew: license.subscription.autoRenew, cancelledAt: license.subscription.cancelledAt, anchorAt: license.subscription.anchorAt, termStartsAt: license.subscription.termStartsAt }
      : started.subscription;
    expiresAt = started.expiresAt;
  } else if (!input.keepExpiry) {
    expiresAt = termEnd(policy, now);
  }
  return {
    ...license,
    policyId: policy.id,
    type: TYPE_OF_KIND[policy.kind],
    expiresAt,
    graceDays: policy.graceDays,
    maxMachines: policy.maxMachines,
    maxUsers: policy.maxUsers,
    floating: policy.floating,
    heartbeatSeconds: policy.heartbeatSeconds,
    features: [...policy.features],
    meters: normalizeMeters(policy.meters),
    countries: normalizeCountries(policy.countries),
    subscription,
  };
}

/** Upgrades and downgrades (features, seats) refuse a revoked license alike: revoking is final. */
function refuseRevoked(license: License): void {
  if (license.revokedAt) throw transition('a revoked license cannot be upgraded or downgraded');
}

function transition(message: string): AppError {
  return new AppError('INVALID_TRANSITION', `Not possible: ${message}`);
}
