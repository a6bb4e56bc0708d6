import type { Db } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { stripUndefined } from '../../lib/objects.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { ProductsService } from '../products/products.service.js';
import { normalizeMeters, type Meter } from '../usage/meters.js';
import {
  deletePolicyRow,
  findPolicy,
  insertPolicy,
  listPolicies,
  policyInUse,
  updatePolicyRow,
  type Policy,
  type ActivationLimits,
  type Overdraft,
  type PolicyKind,
} from './policies.repository.js';

export { hardSeatLimit } from './policies.repository.js';
export type { ActivationLimits, Overdraft, Policy, PolicyKind } from './policies.repository.js';

export interface CreatePolicyInput {
  productId: string;
  name: string;
  kind: PolicyKind;
  durationDays?: number | null;
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
  metadata?: Record<string, unknown>;
}
export type UpdatePolicyInput = Partial<Omit<CreatePolicyInput, 'productId'>>;

/** Upper-case, unique ISO country codes. */
export function normalizeCountries(countries: string[]): string[] {
  return [...new Set(countries.map((c) => c.toUpperCase()))];
}

/** Term length each kind gets when the request names none. */
const DEFAULT_DURATION: Record<PolicyKind, number | null> = { perpetual: null, timed: 365, subscription: 365, trial: 30 };
export const DEFAULT_HEARTBEAT_SECONDS = 600;

/** The rules a policy must satisfy, whoever wrote it; throws VALIDATION_FAILED naming the fields. */
export function checkPolicy(policy: Policy): void {
  const fields: Record<string, string> = {};
  if (policy.kind === 'perpetual' && policy.durationDays !== null) fields.durationDays = 'must be null for a perpetual policy';
  if (policy.kind !== 'perpetual' && policy.durationDays === null) fields.durationDays = `is required for a ${policy.kind} policy`;
  if (policy.floating && policy.heartbeatSeconds === null) fields.heartbeatSeconds = 'is required for a floating policy';
  if (Object.keys(fields).length > 0) {
    throw new AppError('VALIDATION_FAILED', Object.entries(fields).map(([f, m]) => `${f} ${m}`).join('; '), { fields });
  }
}

export class PoliciesService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly events: EventsService,
    private readonly products: ProductsService,
  ) {}

  async create(ctx: RequestContext, input: CreatePolicyInput): Promise<Policy> {
    const product = await this.products.get(ctx, input.productId);
    const now = this.clock.now().toISOString();
    const floating = input.floating ?? false;
    const policy: Policy = {
      id: newId('pol'),
      productId: product.id,
      name: input.name,
      kind: input.kind,
      durationDays: input.durationDays !== undefined ? input.durationDays : DEFAULT_DURATION[input.kind],
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
      metadata: input.metadata ?? {},
      createdAt: now,
      updatedAt: now,
    };
    checkPolicy(policy);
    await this.db.transaction().execute(async (trx) => {
      await insertPolicy(trx, policy);
      await this.events.record(trx, ctx, { action: 'policy.created', targetType: 'policy', targetId: policy.id, after: policy });
    });
    return policy;
  }

  async get(ctx: RequestContext, id: string): Promise<Policy> {
    const policy = await findPolicy(this.db, ctx.actor, id);
    if (!policy) throw notFound('Policy', id);
    return policy;
  }

  async list(ctx: RequestContext, filter: { productId?: string; limit: number; cursor?: string }): Promise<Page<Policy>> {
    return page(await listPolicies(this.db, ctx.actor, filter), filter.limit);
  }

  /** Changes apply to licenses issued afterwards; existing licenses keep the terms they were issued with. */
  async update(ctx: RequestContext, id: string, input: UpdatePolicyInput): Promise<Policy> {
    return this.db.transaction().execute(async (trx) => {
      const before = await findPolicy(trx, ctx.actor, id);
      if (!before) throw notFound('Policy', id);
      const after: Policy = { ...before, ...stripUndefined(input), updatedAt: this.clock.now().toISOString() };
      if (input.features) after.features = [...new Set(input.features)];
      if (input.meters) after.meters = normalizeMeters(input.meters);
      if (input.countries) after.countries = normalizeCountries(input.countries);
      checkPolicy(after);
      await updatePolicyRow(trx, after);
      await this.events.record(trx, ctx, { action: 'policy.updated', targetType: 'policy', targetId: id, before, after });
      return after;
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const before = await findPolicy(trx, ctx.actor, id);
      if (!before) throw notFound('Policy', id);
      if (await policyInUse(trx, id)) throw new AppError('CONFLICT', 'Licenses were issued from this policy; it cannot be deleted');
      await deletePolicyRow(trx, id);
      await this.events.record(trx, ctx, { action: 'policy.deleted', targetType: 'policy', targetId: id, before });
    });
  }
}
