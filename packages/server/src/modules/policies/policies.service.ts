import type { Db, Executor } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { stripUndefined } from '../../lib/objects.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ProductsService } from '../products/products.service.js';
import { normalizeMeters, type Meter } from './meters.js';
import type { Alignment, FirstTerm, Renewer } from './subscription-terms.js';
import { subscriptionTermProblems } from './subscription.js';
import {
  deletePolicyRow,
  findPolicy,
  insertPolicy,
  isTrialPolicyOf,
  listPolicies,
  listPoliciesWhere,
  productHasPolicies,
  updatePolicyRow,
  type Policy,
  type ActivationLimits,
  type ExpiryEnds,
  type Overdraft,
  type PolicyKind,
} from './policies.repository.js';
import type { ModuleWiring } from '../../wiring.js';

export { hardSeatLimit, POLICY_KINDS } from './policies.repository.js';
export type { ActivationLimits, Overdraft, Policy, PolicyKind } from './policies.repository.js';

export interface CreatePolicyInput {
  productId: string;
  name: string;
  kind: PolicyKind;
  durationDays?: number | null;
  termMonths?: number | null;
  maxMachines?: number | null;
  maxUsers?: number | null;
  floating?: boolean;
  heartbeatSeconds?: number | null;
  graceDays?: number;
  features?: string[];
  enforceDomains?: boolean;
  meters?: Meter[];
  countries?: string[];
  activationLimits?: ActivationLimits | null;
  overdraft?: Overdraft | null;
  offlineMaxDays?: number;
  expiryEnds?: ExpiryEnds;
  autoRenew?: boolean;
  renewedBy?: Renewer;
  cancellationNoticeDays?: number;
  alignment?: Alignment;
  fiscalYearStartMonth?: number | null;
  firstTerm?: FirstTerm;
  price?: number | null;
  currency?: string | null;
  metadata?: Record<string, unknown>;
}
export type UpdatePolicyInput = Partial<Omit<CreatePolicyInput, 'productId'>>;

/** Upper-case, unique ISO country codes. */
export function normalizeCountries(countries: string[]): string[] {
  return [...new Set(countries.map((c) => c.toUpperCase()))];
}

/** Term length each kind gets when the request names none: days, except subscriptions (a calendar year). */
const DEFAULT_DURATION: Record<PolicyKind, number | null> = { perpetual: null, timed: 365, subscription: null, trial: 30 };
const DEFAULT_TERM_MONTHS: Record<PolicyKind, number | null> = { perpetual: null, timed: null, subscription: 12, trial: null };
export const DEFAULT_HEARTBEAT_SECONDS = 600;
/** A policy's offline license-file lifetime when the request names none (the lifetime files had by default before). */
export const DEFAULT_OFFLINE_MAX_DAYS = 30;
/** The longest offline license-file lifetime any policy may allow. */
export const MAX_OFFLINE_DAYS = 365;

/** The rules a policy must satisfy, whoever wrote it; throws VALIDATION_FAILED naming the fields. */
export function checkPolicy(policy: Policy): void {
  const fields: Record<string, string> = {};
  if (policy.kind === 'perpetual' && policy.durationDays !== null) fields.durationDays = 'must be null for a perpetual policy';
  if (policy.kind === 'perpetual' && policy.termMonths !== null) fields.termMonths = 'must be null for a perpetual policy';
  if (policy.kind !== 'perpetual' && policy.durationDays === null && policy.termMonths === null) {
    fields.durationDays = `or termMonths is required for a ${policy.kind} policy`;
  }
  if (policy.durationDays !== null && policy.termMonths !== null) fields.termMonths = 'and durationDays exclude each other: give the term in one of them';
  if (policy.floating && policy.heartbeatSeconds === null) fields.heartbeatSeconds = 'is required for a floating policy';
  if (!Number.isInteger(policy.offlineMaxDays) || policy.offlineMaxDays < 1 || policy.offlineMaxDays > MAX_OFFLINE_DAYS) {
    fields.offlineMaxDays = `must be a whole number of days from 1 to ${MAX_OFFLINE_DAYS}`;
  }
  if (policy.kind === 'subscription') {
    if (policy.durationDays !== null || policy.termMonths !== null) Object.assign(fields, subscriptionTermProblems({ ...policy, termDays: policy.durationDays }));
  } else {
    // Subscription terms mean nothing on other kinds; refusing them avoids a silent misconfiguration.
    const defaults = { autoRenew: false, renewedBy: 'keyhaven', cancellationNoticeDays: 0, alignment: 'purchase', firstTerm: 'shorten' } as const;
    for (const [field, value] of Object.entries(defaults)) {
      if (policy[field as keyof typeof defaults] !== value) fields[field] = `applies to subscription policies only (leave it ${JSON.stringify(value)})`;
    }
  }
  if (policy.alignment !== 'fiscal-year' && policy.fiscalYearStartMonth !== null) fields.fiscalYearStartMonth = 'applies to fiscal-year alignment only';
  if ((policy.price === null) !== (policy.currency === null)) fields.currency = 'and price go together';
  if (Object.keys(fields).length > 0) {
    throw new AppError('VALIDATION_FAILED', Object.entries(fields).map(([f, m]) => `${f} ${m}`).join('; '), { fields });
  }
}

export interface PoliciesDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  products: ProductsService;
}

/**
 * Whether another module's records were made from the policy (so it cannot be deleted): a word naming them
 * (`Licenses`), or undefined. Registered through that module's wiring (`policyUses`): it depends on policies.
 */
export type PolicyUseCheck = (executor: Executor, policyId: string) => Promise<string | undefined>;

export class PoliciesService {
  private readonly useChecks: PolicyUseCheck[] = [];

  constructor(private readonly deps: PoliciesDeps) {}

  /** Adds a rule that keeps a policy from being deleted while records made from it exist. */
  addUseCheck(check: PolicyUseCheck): void {
    this.useChecks.push(check);
  }

  /** How event lists name policies; what products must respect of their policies. */
  wiring(): ModuleWiring {
    return {
      productGuards: [
        {
          beforeUpdate: async (trx, product, change) => {
            if (change.trialPolicyId && !(await isTrialPolicyOf(trx, change.trialPolicyId, product.id))) {
              throw new AppError('VALIDATION_FAILED', 'trialPolicyId must name a trial policy of this product', { fields: { trialPolicyId: 'must be a trial policy of this product' } });
            }
          },
          beforeDelete: async (trx, product) => {
            if (await productHasPolicies(trx, product.id)) throw new AppError('CONFLICT', 'The product still has policies; delete them first');
          },
        },
      ],
      namers: {
        policy: async (ctx, ids) => {
          let q = this.deps.db.selectFrom('policies').select(['id', 'name']).where('id', 'in', ids);
          if (ctx.actor.scope.productIds) q = q.where('product_id', 'in', ctx.actor.scope.productIds.length > 0 ? [...ctx.actor.scope.productIds] : ['']);
          return new Map((await q.execute()).map((r) => [r.id, r.name]));
        },
      },
    };
  }

  async create(ctx: RequestContext, input: CreatePolicyInput): Promise<Policy> {
    const product = await this.deps.products.get(ctx, input.productId);
    const now = this.deps.clock.now().toISOString();
    const floating = input.floating ?? false;
    const policy: Policy = {
      id: newId('pol'),
      productId: product.id,
      name: input.name,
      kind: input.kind,
      durationDays: input.durationDays !== undefined ? input.durationDays : input.termMonths ? null : DEFAULT_DURATION[input.kind],
      termMonths: input.termMonths !== undefined ? input.termMonths : input.durationDays !== undefined ? null : DEFAULT_TERM_MONTHS[input.kind],
      maxMachines: input.maxMachines ?? null,
      maxUsers: input.maxUsers ?? null,
      floating,
      heartbeatSeconds: input.heartbeatSeconds !== undefined ? input.heartbeatSeconds : floating ? DEFAULT_HEARTBEAT_SECONDS : null,
      graceDays: input.graceDays ?? 0,
      features: [...new Set(input.features ?? [])],
      enforceDomains: input.enforceDomains ?? false,
      meters: normalizeMeters(input.meters ?? []),
      countries: normalizeCountries(input.countries ?? []),
      activationLimits: input.activationLimits ?? null,
      overdraft: input.overdraft ?? null,
      offlineMaxDays: input.offlineMaxDays ?? DEFAULT_OFFLINE_MAX_DAYS,
      expiryEnds: input.expiryEnds ?? 'access',
      autoRenew: input.autoRenew ?? input.kind === 'subscription',
      renewedBy: input.renewedBy ?? 'keyhaven',
      cancellationNoticeDays: input.cancellationNoticeDays ?? 0,
      alignment: input.alignment ?? 'purchase',
      fiscalYearStartMonth: input.fiscalYearStartMonth ?? null,
      firstTerm: input.firstTerm ?? 'shorten',
      price: input.price ?? null,
      currency: input.currency?.toUpperCase() ?? null,
      metadata: input.metadata ?? {},
      createdAt: now,
      updatedAt: now,
    };
    checkPolicy(policy);
    await this.deps.db.transaction().execute(async (trx) => {
      await insertPolicy(trx, policy);
      await this.deps.events.record(trx, ctx, { action: 'policy.created', targetType: 'policy', targetId: policy.id, after: policy });
    });
    return policy;
  }

  async get(ctx: RequestContext, id: string): Promise<Policy> {
    const policy = await findPolicy(this.deps.db, ctx.actor, id);
    if (!policy) throw notFound('Policy', id);
    return policy;
  }

  async list(ctx: RequestContext, filter: { productId?: string; limit: number; cursor?: string }): Promise<Page<Policy>> {
    return page(await listPolicies(this.deps.db, ctx.actor, filter), filter.limit);
  }

  /** These policies, or every policy of these products, unscoped: for a caller that has checked who asks (a contract's holder). */
  async listWhere(executor: Executor, where: { ids: readonly string[] } | { productIds: readonly string[] }): Promise<Policy[]> {
    return listPoliciesWhere(executor, where);
  }

  /** Changes apply to licenses issued afterwards; existing licenses keep the terms they were issued with. */
  async update(ctx: RequestContext, id: string, input: UpdatePolicyInput): Promise<Policy> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findPolicy(trx, ctx.actor, id);
      if (!before) throw notFound('Policy', id);
      const after: Policy = { ...before, ...stripUndefined(input), updatedAt: this.deps.clock.now().toISOString() };
      // A term given one way replaces the other way.
      if (input.durationDays != null && input.termMonths === undefined) after.termMonths = null;
      if (input.termMonths != null && input.durationDays === undefined) after.durationDays = null;
      if (input.currency) after.currency = input.currency.toUpperCase();
      if (input.features) after.features = [...new Set(input.features)];
      if (input.meters) after.meters = normalizeMeters(input.meters);
      if (input.countries) after.countries = normalizeCountries(input.countries);
      checkPolicy(after);
      await updatePolicyRow(trx, after);
      await this.deps.events.record(trx, ctx, { action: 'policy.updated', targetType: 'policy', targetId: id, before, after });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await findPolicy(trx, ctx.actor, id);
      if (!before) throw notFound('Policy', id);
      for (const check of this.useChecks) {
        const use = await check(trx, id);
        if (use) throw new AppError('CONFLICT', `${use} were issued from this policy; it cannot be deleted`);
      }
      await deletePolicyRow(trx, id);
      await this.deps.events.record(trx, ctx, { action: 'policy.deleted', targetType: 'policy', targetId: id, before });
    });
  }
}
