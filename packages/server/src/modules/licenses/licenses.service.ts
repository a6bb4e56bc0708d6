import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Dialect, Executor, Trx } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { normalizeCountries, type PoliciesService, type Policy, type PolicyKind } from '../policies/policies.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import { generateLicenseKey, keyHint, parseLicenseKey } from './license-key.js';
import { graceEndsAt, licenseStatus, type LicenseStatus } from './license-status.js';
import {
  findCustomerId,
  findForClientById,
  findForValidation,
  findKeyCiphertext,
  findLicenseRow,
  anyLicenseOf,
  findLicenseRowByDigest,
  insertLicense,
  listLicenseRows,
  subscriptionColumns,
  toLicenseRecord,
  toSubscription,
  updateLicenseRow,
  type Billing,
  type LicenseFilter,
  type LicenseRecord,
  type LicenseRowWithProduct,
  type LicenseType,
  type ValidationRow,
} from './licenses.repository.js';
import { countLicenses, countLicensesByProduct, type LicenseCounts } from './counts.repository.js';
import { licensedProductIds, licenseScopeFilter } from './licenses.access.js';
import { advanceTerm, findDueRenewals, findExpiring, type DueRenewal, type ExpiringLicense, type ExpiryWindow, type NextTerm } from './terms.repository.js';

export type { DueRenewal, ExpiringLicense, ExpiryWindow, LicenseCounts };
import { parseJson, toIso } from '../../db/database.js';
import { normalizeMeters, type Meter } from '../policies/meters.js';
import { startSubscription, startTermAt, subscriptionTermProblems, subscriptionView, type Subscription, type SubscriptionOverrides } from '../policies/subscription.js';
import { stripUndefined } from '../../lib/objects.js';
import { addTerm, termOf, type Renewer } from '../policies/subscription-terms.js';
import type { ModuleWiring } from '../../wiring.js';

export type { Billing, LicenseFilter, LicenseRecord, LicenseType } from './licenses.repository.js';

/** A license as the API shows it: the stored record plus facts derived at the time of the answer. */
export interface License extends LicenseRecord {
  /** The product's code. */
  product: string;
  status: LicenseStatus;
  activeMachines: number;
  subscription: (Subscription & { renewsAt: string | null; cancellationDeadline: string | null }) | null;
}

/** What a client application is told about its license (no billing, notes, customer or key material). */
export type ClientLicense = Pick<
  License,
  | 'id'
  | 'name'
  | 'product'
  | 'productId'
  | 'type'
  | 'status'
  | 'startsAt'
  | 'expiresAt'
  | 'graceEndsAt'
  | 'features'
  | 'domains'
  | 'maxMachines'
  | 'maxUsers'
  | 'activeMachines'
  | 'floating'
  | 'heartbeatSeconds'
> & {
  /** From the policy: what the expiry ends (`updates`: the maintenance model). */
  expiryEnds: 'access' | 'updates';
};

export interface CreateLicenseInput {
  policyId: string;
  customerId?: string | null;
  name?: string;
  type?: LicenseType;
  startsAt?: string;
  expiresAt?: string | null;
  maxMachines?: number | null;
  maxUsers?: number | null;
  features?: string[];
  domains?: string[];
  meters?: Meter[];
  countries?: string[];
  billing?: Partial<Billing>;
  notes?: string | null;
  metadata?: Record<string, unknown>;
  graceDays?: number;
  /** Subscription policies only: the license's own terms and price instead of the policy's. */
  subscription?: SubscriptionOverrides;
}

/** What an update may change of a subscription (alignment and term: change the policy instead). */
export interface SubscriptionUpdate {
  price?: number | null;
  currency?: string | null;
  cancellationNoticeDays?: number;
  renewedBy?: Renewer;
}

export type UpdateLicenseInput = Partial<Omit<CreateLicenseInput, 'policyId' | 'subscription'>> & { subscription?: SubscriptionUpdate };

/** Upgrades: `changePolicy` moves a license to another policy of its product. */
export interface ChangePolicyInput {
  policyId: string;
  /** true: the expiry stays; false: a new term starts now (perpetual policies: no expiry). */
  keepExpiry: boolean;
}

const TYPE_OF_KIND: Record<PolicyKind, LicenseType> = { perpetual: 'commercial', timed: 'commercial', subscription: 'subscription', trial: 'trial' };

const EMPTY_BILLING: Billing = { invoiceLinks: [], paymentStatus: null, purchaseMethod: null, reference: null };

/** The latest instant a license date may reach: later ones have no four-digit-year ISO-8601 form. */
const LATEST_DATE = Date.parse('9999-12-31T23:59:59.999Z');

/** A term or grace period that would run past year 9999 (a far start plus a long policy, or a long extension). */
function checkDates(record: LicenseRecord): void {
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

export interface LicensesDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  products: ProductsService;
  policies: PoliciesService;
  customers: CustomersService;
  dialect: Dialect;
}

export class LicensesService {
  constructor(private readonly deps: LicensesDeps) {}

  /** A license is named by its name, else by its key's last symbols (never the key). */
  wiring(): ModuleWiring {
    return {
      // Customers and policies with licenses cannot be deleted (they do not know licenses: licenses knows them).
      customerUses: [async (executor, customerId) => ((await anyLicenseOf(executor, 'customer_id', customerId)) ? 'licenses' : undefined)],
      policyUses: [async (executor, policyId) => ((await anyLicenseOf(executor, 'policy_id', policyId)) ? 'Licenses' : undefined)],
      // A customer sees the products it licenses (products cannot ask: licenses knows products).
      licensedProducts: licensedProductIds,
      namers: {
        license: async (ctx, ids) => {
          const rows = await licenseScopeFilter(this.deps.db.selectFrom('licenses').select(['licenses.id', 'licenses.name', 'licenses.key_hint']), ctx.actor).where('licenses.id', 'in', ids).execute();
          return new Map(rows.map((r) => [r.id, r.name ?? `License …${r.key_hint}`]));
        },
      },
    };
  }

  present(record: LicenseRecord, productCode: string, activeMachines: number): License {
    return {
      ...record,
      product: productCode,
      status: licenseStatus(record, this.deps.clock.now()),
      activeMachines,
      subscription: record.subscription && subscriptionView(record.subscription, record.expiresAt, record.revokedAt),
    };
  }

  /**
   * Resolves a license key sent by a client application: the client view and the stored facts, or
   * undefined when no license has the key. A malformed key is a 400 naming the field.
   */
  async resolveKey(key: string): Promise<{ license: ClientLicense; row: ValidationRow } | undefined> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const row = await findForValidation(this.deps.db, this.deps.keyring.digest('license-key', parsed.canonical), this.deps.clock.now());
    return row ? { license: this.presentForClient(row), row } : undefined;
  }

  /** Like `resolveKey`, by license id, for a signed-in customer (or staff) acting on a license it may see. */
  async resolveId(ctx: RequestContext, id: string): Promise<{ license: ClientLicense; row: ValidationRow }> {
    const row = await findForClientById(this.deps.db, ctx.actor, id, this.deps.clock.now());
    if (!row) throw notFound('License', id);
    return { license: this.presentForClient(row), row };
  }

  /** The client view straight from the validation lookup's row (the hot path: no full record is built). */
  presentForClient(row: ValidationRow): ClientLicense {
    const facts = {
      startsAt: toIso(row.starts_at),
      expiresAt: toIso(row.expires_at),
      graceEndsAt: toIso(row.grace_ends_at),
      suspendedAt: toIso(row.suspended_at),
      revokedAt: toIso(row.revoked_at),
    };
    return {
      id: row.id,
      name: row.name,
      product: row.product_code,
      productId: row.product_id,
      type: row.type as LicenseType,
      status: licenseStatus(facts, this.deps.clock.now()),
      startsAt: facts.startsAt,
      expiresAt: facts.expiresAt,
      graceEndsAt: facts.graceEndsAt,
      features: parseJson(row.features, []),
      domains: parseJson(row.domains, []),
      maxMachines: row.max_machines,
      maxUsers: row.max_users,
      activeMachines: Number(row.active_machines),
      floating: Boolean(row.floating),
      heartbeatSeconds: row.heartbeat_seconds,
      expiryEnds: row.expiry_ends === 'updates' ? 'updates' : 'access',
    };
  }

  private presentRow(row: LicenseRowWithProduct): License {
    return this.present(toLicenseRecord(row), row.product_code, Number(row.active_machines));
  }

  /** Issues a license from a policy. The full key is in this answer and never again (except by reveal). */
  async create(ctx: RequestContext, input: CreateLicenseInput): Promise<{ license: License; key: string }> {
    const policy = await this.deps.policies.get(ctx, input.policyId);
    const product = await this.deps.products.get(ctx, policy.productId);
    const customer = input.customerId ? await this.deps.customers.get(ctx, input.customerId) : null;
    return this.deps.db.transaction().execute((trx) => this.createWith(trx, ctx, input, { policy, product, customer }));
  }

  /**
   * `create` inside the caller's transaction, for use cases that issue licenses along with other changes
   * (orders, trial sign-ups). The caller reads the policy, its product and the customer first (before
   * opening the transaction, or with the same transaction for a customer it just created), so nothing
   * here touches `this.deps.db`. `input.policyId` and `input.customerId` are ignored in favour of `refs`.
   */
  async createWith(
    executor: Executor,
    ctx: RequestContext,
    input: CreateLicenseInput,
    refs: { policy: Policy; product: Product; customer: Customer | null },
  ): Promise<{ license: License; key: string }> {
    const { policy, product, customer } = refs;
    if (product.customerIds.length > 0 && (customer === null || !product.customerIds.includes(customer.id))) {
      throw new AppError('CUSTOM_PRODUCT', `${product.name} is a custom product: its licenses go only to the customers it is made for`, {
        fields: { customerId: 'must be one of the product\'s customerIds' },
      });
    }
    const now = this.deps.clock.now();
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
    if (expiresAt !== null && expiresAt <= startsAt) {
      throw new AppError('VALIDATION_FAILED', 'expiresAt must be after startsAt', { fields: { expiresAt: 'must be after startsAt' } });
    }
    const key = generateLicenseKey();
    const canonical = key.replace(/-/g, '');
    const record: LicenseRecord = {
      id: newId('lic'),
      keyHint: keyHint(canonical),
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
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    checkDates(record);
    await insertLicense(executor, record, { digest: this.deps.keyring.digest('license-key', canonical), ciphertext: this.deps.keyring.encrypt('license-key', key) });
    await this.deps.events.record(executor, ctx, {
      action: 'license.created',
      targetType: 'license',
      targetId: record.id,
      customerId: record.customerId,
      after: record,
    });
    return { license: this.present(record, product.code, 0), key };
  }

  async get(ctx: RequestContext, id: string): Promise<License> {
    const row = await findLicenseRow(this.deps.db, ctx.actor, id, this.deps.clock.now());
    if (!row) throw notFound('License', id);
    return forViewer(ctx, this.presentRow(row));
  }

  /**
   * Finds a license by its key, within what the actor may see (for staff tools and the CLI). The scope is
   * part of the query, so a key of another organization answers exactly like an unknown one: no id, same message.
   */
  async getByKey(ctx: RequestContext, key: string): Promise<License> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const row = await findLicenseRowByDigest(this.deps.db, ctx.actor, this.deps.keyring.digest('license-key', parsed.canonical), this.deps.clock.now());
    if (!row) throw notFound('License');
    return forViewer(ctx, this.presentRow(row));
  }

  async list(ctx: RequestContext, filter: LicenseFilter): Promise<Page<License>> {
    const rows = await listLicenseRows(this.deps.db, ctx.actor, filter, this.deps.clock.now());
    return page(rows.map((r) => forViewer(ctx, this.presentRow(r))), filter.limit);
  }

  async revealKey(ctx: RequestContext, id: string): Promise<{ id: string; key: string }> {
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await findLicenseRow(trx, ctx.actor, id, this.deps.clock.now());
      if (!row) throw notFound('License', id);
      const sealed = await findKeyCiphertext(trx, id);
      const key = this.deps.keyring.decrypt('license-key', sealed!).toString('utf8');
      await this.deps.events.record(trx, ctx, { action: 'license.key_revealed', targetType: 'license', targetId: id, customerId: row.customer_id });
      return { id, key };
    });
  }

  /**
   * Serializes changes to one license's seats and state: on PostgreSQL the license row is locked until
   * the transaction ends; SQLite has one writer at a time already.
   */
  async lock(trx: Trx, id: string): Promise<void> {
    if (this.deps.dialect === 'postgres') await trx.selectFrom('licenses').select('id').where('id', '=', id).forUpdate().execute();
  }

  /** The customer a license belongs to (null: none, or no such license). */
  async customerIdOf(executor: Executor, id: string): Promise<string | null> {
    return (await findCustomerId(executor, id)) ?? null;
  }

  /** The license as staff would see it, read inside the caller's transaction (undefined: no such license). */
  async getWith(executor: Executor, id: string, now: Date): Promise<License | undefined> {
    const row = await findLicenseRow(executor, SYSTEM_ACTOR, id, now);
    return row && this.present(toLicenseRecord(row), row.product_code, Number(row.active_machines));
  }

  /** Subscriptions Keyhaven renews whose term ends before `until` (the renewal sweep's keyset pages). */
  async dueRenewals(until: string, after: { expiresAt: string; id: string } | undefined, limit: number): Promise<DueRenewal[]> {
    return findDueRenewals(this.deps.db, until, after, limit);
  }

  /** Licenses expiring inside `window`, as keyset pages like `dueRenewals` (the reminder and alert sweeps). */
  async expiring(window: ExpiryWindow, after: { expiresAt: string; id: string } | undefined, limit: number): Promise<ExpiringLicense[]> {
    return findExpiring(this.deps.db, window, after, limit);
  }

  /** Moves a subscription to its next term if its expiry is still `fromExpiry`: false when another renewal won. */
  async advanceTerm(executor: Executor, id: string, fromExpiry: string, next: NextTerm): Promise<boolean> {
    return advanceTerm(executor, id, fromExpiry, next);
  }

  /** Licenses by derived status within the actor's scope, counted by the database (the dashboard's figures). */
  async countByStatus(ctx: RequestContext, now: Date): Promise<LicenseCounts> {
    return countLicenses(this.deps.db, ctx.actor, now);
  }

  /** Licenses per product within the actor's scope, most first. */
  async countByProduct(ctx: RequestContext, limit: number): Promise<Array<{ productId: string; licenses: number }>> {
    return countLicensesByProduct(this.deps.db, ctx.actor, limit);
  }

  /**
   * Runs one change to a license in a transaction (the change itself does no I/O): loads it (within the
   * actor's scope; on PostgreSQL the row is locked, so a concurrent change or renewal cannot be lost),
   * applies `change`, writes it with an audit event holding before and after. `change` returning null
   * means "nothing to do": no write, no event. `options.executor` runs it inside the caller's transaction;
   * `options.also` writes more in the same transaction (a mail, a trial's bookkeeping). For the licenses
   * module's own services (subscriptions); other modules use the named operations.
   */
  async applyChange(
    ctx: RequestContext,
    id: string,
    action: string,
    change: (license: License) => LicenseRecord | null,
    options: { executor?: Executor; also?: (executor: Executor, after: License, before: License) => Promise<void> } = {},
  ): Promise<License> {
    const run = async (trx: Executor): Promise<License> => {
      if (this.deps.dialect === 'postgres') await trx.selectFrom('licenses').select('id').where('id', '=', id).forUpdate().execute();
      const row = await findLicenseRow(trx, ctx.actor, id, this.deps.clock.now());
      if (!row) throw notFound('License', id);
      const before = this.presentRow(row);
      const next = change(before);
      if (next === null) return before;
      const record: LicenseRecord = { ...toLicenseRecord(row), ...pickRecord(next), updatedAt: this.deps.clock.now().toISOString() };
      record.graceEndsAt = graceEndsAt(record.expiresAt, record.graceDays);
      checkDates(record);
      await updateLicenseRow(trx, record);
      const after = this.present(record, row.product_code, Number(row.active_machines));
      await this.deps.events.record(trx, ctx, { action, targetType: 'license', targetId: id, customerId: record.customerId, before, after });
      await options.also?.(trx, after, before);
      return after;
    };
    return options.executor ? run(options.executor) : this.deps.db.transaction().execute(run);
  }

  private change(ctx: RequestContext, id: string, action: string, change: (license: License) => LicenseRecord | null): Promise<License> {
    return this.applyChange(ctx, id, action, change);
  }

  async update(ctx: RequestContext, id: string, input: UpdateLicenseInput): Promise<License> {
    const customer = input.customerId ? await this.deps.customers.get(ctx, input.customerId) : undefined;
    return this.change(ctx, id, 'license.updated', (license) => {
      const next: LicenseRecord = { ...license };
      if (input.name !== undefined) next.name = input.name;
      if (input.customerId !== undefined) next.customerId = customer?.id ?? null;
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
      if (next.expiresAt !== null && next.expiresAt <= next.startsAt) {
        throw new AppError('VALIDATION_FAILED', 'expiresAt must be after startsAt', { fields: { expiresAt: 'must be after startsAt' } });
      }
      return next;
    });
  }

  async suspend(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.suspended', (license) => {
      if (license.revokedAt) throw transition('a revoked license cannot be suspended');
      if (license.suspendedAt) throw transition('the license is already suspended');
      return { ...license, suspendedAt: this.deps.clock.now().toISOString() };
    });
  }

  async reinstate(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.reinstated', (license) => {
      if (license.revokedAt) throw transition('a revoked license cannot be reinstated; issue a new one');
      if (!license.suspendedAt) throw transition('the license is not suspended');
      return { ...license, suspendedAt: null };
    });
  }

  /** Immediate and final: validation answers REVOKED from the next request on. */
  async revoke(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.revoked', (license) => {
      if (license.revokedAt) throw transition('the license is already revoked');
      // A revoked subscription does not renew either.
      const subscription = license.subscription && { ...license.subscription, autoRenew: false };
      return { ...license, revokedAt: this.deps.clock.now().toISOString(), subscription };
    });
  }

  /** Adds one term of the policy's duration, from the current expiry or from now if that has passed. */
  async renew(ctx: RequestContext, id: string): Promise<License> {
    // Read the policy before the transaction: on SQLite a query outside the open transaction would wait for it.
    const policy = await this.deps.policies.get(ctx, (await this.get(ctx, id)).policyId);
    const term = termOf(policy.termMonths, policy.durationDays);
    return this.change(ctx, id, 'license.renewed', (license) => {
      if (license.revokedAt) throw transition('a revoked license cannot be renewed');
      if (license.subscription) throw new AppError('NOT_RENEWABLE', 'The license is a subscription: renew it with renewSubscription, which records the renewal');
      if (term === null || license.expiresAt === null) {
        throw new AppError('NOT_RENEWABLE', 'The license is perpetual; there is nothing to renew');
      }
      return { ...license, expiresAt: addTerm(this.extendBase(license.expiresAt), term).toISOString() };
    });
  }

  async extend(ctx: RequestContext, id: string, days: number, options: { action?: string; executor?: Executor; also?: (executor: Executor, after: License) => Promise<void> } = {}): Promise<License> {
    return this.applyChange(
      ctx,
      id,
      options.action ?? 'license.extended',
      (license) => {
        if (license.revokedAt) throw transition('a revoked license cannot be extended');
        if (license.expiresAt === null) throw new AppError('LICENSE_PERPETUAL', 'The license does not expire; there is nothing to extend');
        return { ...license, expiresAt: addTerm(this.extendBase(license.expiresAt), { days }).toISOString() };
      },
      options,
    );
  }

  /** Renewals and extensions count from the current expiry, or from now if that has passed. */
  private extendBase(expiresAt: string): Date {
    const now = this.deps.clock.now();
    return Date.parse(expiresAt) > now.getTime() ? new Date(expiresAt) : now;
  }

  // ---------------------------------------------------------------------------------------------------
  // Upgrades: each is one change with its own history event.

  /** Adds features (modules) to the license; those it has already are left alone. */
  async addFeatures(ctx: RequestContext, id: string, features: string[]): Promise<License> {
    return this.change(ctx, id, 'license.features_added', (license) => {
      refuseRevoked(license);
      const added = features.filter((f) => !license.features.includes(f));
      return added.length === 0 ? null : { ...license, features: [...license.features, ...new Set(added)] };
    });
  }

  /** Removes features from the license; naming one it does not have is a 422, so typos do not pass silently. */
  async removeFeatures(ctx: RequestContext, id: string, features: string[]): Promise<License> {
    return this.change(ctx, id, 'license.features_removed', (license) => {
      refuseRevoked(license);
      const missing = features.filter((f) => !license.features.includes(f));
      if (missing.length > 0) {
        throw new AppError('FEATURES_MISSING', `The license does not have ${missing.join(', ')}`, { fields: { features: `not on the license: ${missing.join(', ')}` } });
      }
      return { ...license, features: license.features.filter((f) => !features.includes(f)) };
    });
  }

  /** A seat pack: `seats` more machines. An unlimited license has nothing to add to. */
  async addSeats(ctx: RequestContext, id: string, seats: number): Promise<License> {
    return this.change(ctx, id, 'license.seats_added', (license) => {
      refuseRevoked(license);
      if (license.maxMachines === null) throw new AppError('SEATS_UNLIMITED', 'The license already allows any number of machines');
      return { ...license, maxMachines: license.maxMachines + seats };
    });
  }

  /**
   * Moves the license to another policy of the same product (an upgrade or downgrade, or a trial becoming
   * a paid license): it takes the new policy's terms (type, seats, users, features, meters, countries,
   * grace, floating) and keeps its key, customer, domains, billing and history. `keepExpiry: false`
   * starts a new term now (subscriptions: by the new policy's alignment).
   */
  async changePolicy(ctx: RequestContext, id: string, input: ChangePolicyInput): Promise<License> {
    const policy = await this.deps.policies.get(ctx, input.policyId);
    return this.changePolicyWith(undefined, ctx, id, input, { policy });
  }

  /** `changePolicy` inside the caller's transaction (`executor`), with the policy read beforehand. */
  async changePolicyWith(
    executor: Executor | undefined,
    ctx: RequestContext,
    id: string,
    input: ChangePolicyInput & { action?: string; subscription?: SubscriptionOverrides },
    refs: { policy: Policy },
    also?: (executor: Executor, after: License, before: License) => Promise<void>,
  ): Promise<License> {
    const { policy } = refs;
    const now = this.deps.clock.now();
    return this.applyChange(
      ctx,
      id,
      input.action ?? 'license.policy_changed',
      (license) => {
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
      },
      { ...(executor ? { executor } : {}), ...(also ? { also } : {}) },
    );
  }

  /**
   * The first activation of a license whose subscription term waits for it (activation alignment) starts
   * the term: expiry one term on. A conditional update inside the activation's transaction, so of two
   * concurrent first activations exactly one starts it. Returns the new dates, or undefined when the
   * license had nothing waiting.
   */
  async startTermOnActivation(executor: Executor, ctx: RequestContext, licenseId: string): Promise<{ expiresAt: string; graceEndsAt: string | null } | undefined> {
    const row = await executor
      .selectFrom('licenses')
      .select(['subscription', 'auto_renew', 'renewed_by', 'cancelled_at', 'term_starts_at', 'expires_at', 'grace_days', 'customer_id'])
      .where('id', '=', licenseId)
      .where('term_starts_at', 'is', null)
      .where('subscription', 'is not', null)
      .where('expires_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const subscription = toSubscription(row);
    if (!subscription || subscription.alignment !== 'activation') return undefined;
    const now = this.deps.clock.now();
    const started = startTermAt(subscription, now);
    const grace = graceEndsAt(started.expiresAt, row.grace_days);
    const result = await executor
      .updateTable('licenses')
      .set({ ...subscriptionColumns(started.subscription), expires_at: started.expiresAt, grace_ends_at: grace, updated_at: now.toISOString() })
      .where('id', '=', licenseId)
      .where('term_starts_at', 'is', null)
      .where('expires_at', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    await this.deps.events.record(executor, ctx, {
      action: 'subscription.term_started',
      targetType: 'license',
      targetId: licenseId,
      customerId: row.customer_id,
      after: { termStartsAt: started.subscription.termStartsAt, expiresAt: started.expiresAt, firstTermPrice: started.subscription.firstTermPrice },
    });
    return { expiresAt: started.expiresAt, graceEndsAt: grace };
  }
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

/** Staff notes are internal: a customer reading its own licenses does not see them. */
function forViewer(ctx: RequestContext, license: License): License {
  return ctx.actor.scope.customerId !== undefined ? { ...license, notes: null } : license;
}

/** Upgrades and downgrades (features, seats) refuse a revoked license alike: revoking is final. */
function refuseRevoked(license: License): void {
  if (license.revokedAt) throw transition('a revoked license cannot be upgraded or downgraded');
}

function transition(message: string): AppError {
  return new AppError('INVALID_TRANSITION', `Not possible: ${message}`);
}

/** Keeps only stored fields, dropping the derived ones a License carries. */
function pickRecord(license: LicenseRecord & Partial<Pick<License, 'product' | 'status' | 'activeMachines'>>): LicenseRecord {
  const { product: _p, status: _s, activeMachines: _a, ...record } = license;
  return record;
}
