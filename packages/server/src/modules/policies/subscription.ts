import {
  cancellationDeadline,
  firstTermEnd,
  firstTermPrice,
  termOf,
  type Alignment,
  type FirstTerm,
  type Renewer,
  type TermRules,
} from './subscription-terms.js';

/**
 * A license's subscription: the terms it was issued with (copied from the policy, with the license's own
 * overrides) and its state. Only licenses issued from subscription policies have one.
 */
export interface Subscription {
  /** The term: calendar months, or days (exactly one is set). */
  termMonths: number | null;
  termDays: number | null;
  alignment: Alignment;
  fiscalYearStartMonth: number | null;
  firstTerm: FirstTerm;
  cancellationNoticeDays: number;
  /** Price of a full term in minor units, and its currency; null when unknown. */
  price: number | null;
  currency: string | null;
  /** What the first term cost: the price, or its prorated share when the first term was shortened. */
  firstTermPrice: number | null;
  /** The instant anniversaries count from (purchase or first activation); null until the term starts. */
  anchorAt: string | null;
  /** Renews at term end (off once cancelled). */
  autoRenew: boolean;
  /** keyhaven: the renewal sweep renews; billing: an external system calls renewSubscription. */
  renewedBy: Renewer;
  cancelledAt: string | null;
  /** The current term's start; null while an activation-aligned term waits for the first activation. */
  termStartsAt: string | null;
}

/** The terms as stored in the `subscription` JSON column (the state lives in columns of its own). */
export type SubscriptionTerms = Omit<Subscription, 'autoRenew' | 'renewedBy' | 'cancelledAt' | 'termStartsAt'>;

/** What a license may override of its policy's subscription terms when issued. */
export interface SubscriptionOverrides {
  termMonths?: number;
  termDays?: number;
  alignment?: Alignment;
  fiscalYearStartMonth?: number | null;
  firstTerm?: FirstTerm;
  cancellationNoticeDays?: number;
  autoRenew?: boolean;
  renewedBy?: Renewer;
  price?: number | null;
  currency?: string | null;
}

/** The policy facts a subscription starts from. */
export interface SubscriptionPolicy {
  durationDays: number | null;
  termMonths: number | null;
  alignment: Alignment;
  fiscalYearStartMonth: number | null;
  firstTerm: FirstTerm;
  cancellationNoticeDays: number;
  autoRenew: boolean;
  renewedBy: Renewer;
  price: number | null;
  currency: string | null;
}

export function rulesOf(terms: Pick<Subscription, 'termMonths' | 'termDays' | 'alignment' | 'fiscalYearStartMonth' | 'firstTerm'>): TermRules {
  return {
    term: termOf(terms.termMonths, terms.termDays) ?? { months: 12 },
    alignment: terms.alignment,
    fiscalYearStartMonth: terms.fiscalYearStartMonth,
    firstTerm: terms.firstTerm,
  };
}

/**
 * What is wrong with a set of subscription terms, by field (empty: nothing). Shared by policies and by
 * license overrides, so both refuse the same things.
 */
export function subscriptionTermProblems(t: {
  termMonths: number | null;
  termDays: number | null;
  alignment: Alignment;
  fiscalYearStartMonth: number | null;
  cancellationNoticeDays: number;
  price: number | null;
  currency: string | null;
}): Record<string, string> {
  const fields: Record<string, string> = {};
  if (t.termMonths === null && t.termDays === null) fields.termMonths = 'or a term in days is required';
  if (t.termMonths !== null && t.termDays !== null) fields.termMonths = 'and a term in days exclude each other: give the term in one of them';
  const yearly = t.alignment === 'calendar-year' || t.alignment === 'fiscal-year';
  if (yearly && (t.termMonths === null || t.termMonths % 12 !== 0)) fields.termMonths = `must be a whole number of years (12, 24, ...) for ${t.alignment} alignment`;
  if (t.alignment === 'fiscal-year' && t.fiscalYearStartMonth === null) fields.fiscalYearStartMonth = 'is required for fiscal-year alignment';
  if (t.alignment !== 'fiscal-year' && t.fiscalYearStartMonth !== null) fields.fiscalYearStartMonth = 'applies to fiscal-year alignment only';
  const shortestTermDays = t.termMonths !== null ? t.termMonths * 28 : (t.termDays ?? Infinity);
  if (t.cancellationNoticeDays >= shortestTermDays) fields.cancellationNoticeDays = 'must be shorter than the term';
  if ((t.price === null) !== (t.currency === null)) fields.currency = 'and price go together';
  return fields;
}

/**
 * The subscription a license gets when issued (or moved to a subscription policy) with its term starting
 * at `start`, and the expiry that goes with it. An activation-aligned term waits for the first activation
 * (no expiry yet) unless the license already has machines or an explicit expiry was given.
 */
export function startSubscription(
  policy: SubscriptionPolicy,
  overrides: SubscriptionOverrides,
  start: Date,
  options: { explicitExpiresAt?: string | null; hasMachines?: boolean } = {},
): { subscription: Subscription; expiresAt: string | null; problems: Record<string, string> } {
  const explicitTerm = overrides.termMonths !== undefined || overrides.termDays !== undefined;
  const alignment = overrides.alignment ?? policy.alignment;
  const terms = {
    termMonths: explicitTerm ? (overrides.termMonths ?? null) : policy.termMonths,
    termDays: explicitTerm ? (overrides.termDays ?? null) : policy.durationDays,
    alignment,
    fiscalYearStartMonth:
      overrides.fiscalYearStartMonth !== undefined ? overrides.fiscalYearStartMonth : alignment === 'fiscal-year' ? policy.fiscalYearStartMonth : null,
    firstTerm: overrides.firstTerm ?? policy.firstTerm,
    cancellationNoticeDays: overrides.cancellationNoticeDays ?? policy.cancellationNoticeDays,
    price: overrides.price !== undefined ? overrides.price : policy.price,
    currency: overrides.currency !== undefined ? (overrides.currency?.toUpperCase() ?? null) : policy.currency,
  };
  const problems = subscriptionTermProblems(terms);
  const state = { autoRenew: overrides.autoRenew ?? policy.autoRenew, renewedBy: overrides.renewedBy ?? policy.renewedBy, cancelledAt: null };
  const waits = alignment === 'activation' && !options.hasMachines && options.explicitExpiresAt === undefined;
  if (Object.keys(problems).length > 0 || waits) {
    return { subscription: { ...terms, firstTermPrice: terms.price, anchorAt: null, termStartsAt: null, ...state }, expiresAt: null, problems };
  }
  const rules = rulesOf(terms);
  let expiresAt: string | null;
  if (options.explicitExpiresAt !== undefined) expiresAt = options.explicitExpiresAt;
  else expiresAt = firstTermEnd(rules, start).toISOString();
  const subscription: Subscription = {
    ...terms,
    firstTermPrice: expiresAt === null ? terms.price : firstTermPrice(rules, terms.price, start, new Date(expiresAt)),
    anchorAt: start.toISOString(),
    termStartsAt: start.toISOString(),
    ...state,
  };
  return { subscription, expiresAt, problems };
}

/**
 * The first activation of an activation-aligned subscription starts its term: the anniversaries count from
 * that instant. Returns the started subscription and its expiry.
 */
export function startTermAt(subscription: Subscription, at: Date): { subscription: Subscription; expiresAt: string } {
  const rules = rulesOf(subscription);
  const expiresAt = firstTermEnd(rules, at);
  return {
    subscription: { ...subscription, anchorAt: at.toISOString(), termStartsAt: at.toISOString(), firstTermPrice: firstTermPrice(rules, subscription.price, at, expiresAt) },
    expiresAt: expiresAt.toISOString(),
  };
}

/** Derived facts staff and portals show beside the subscription. */
export function subscriptionView(subscription: Subscription, expiresAt: string | null, revokedAt: string | null) {
  const deadline = expiresAt === null ? null : cancellationDeadline(new Date(expiresAt), subscription.cancellationNoticeDays);
  return {
    ...subscription,
    /** When it renews next (null: it does not, or the term has not started). */
    renewsAt: subscription.autoRenew && revokedAt === null ? expiresAt : null,
    /** The last moment a cancellation of the current term is accepted (null: until term end). */
    cancellationDeadline: deadline?.toISOString() ?? null,
  };
}
