import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Dialect, Executor, Trx } from '../../db/database.js';
import { assertPartnerRight, isStaff, SYSTEM_ACTOR } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { PoliciesService, Policy } from '../policies/policies.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import { startTermAt, subscriptionView, type SubscriptionOverrides } from '../policies/subscription.js';
import type { ModuleWiring } from '../../wiring.js';
import type { ChangePolicyInput, ClientLicense, CreateLicenseInput, License, UpdateLicenseInput } from './license.js';
import * as changes from './license-changes.js';
import { generateLicenseKey, keyHint, parseLicenseKey } from './license-key.js';
import { graceEndsAt, licenseStatus } from './license-status.js';
import { licensedProductIds, licenseScopeFilter } from './licenses.access.js';
import {
  anyLicenseOf,
  findCustomerId,
  findKeyCiphertext,
  findLicenseRow,
  findLicenseRowByDigest,
  insertLicense,
  listLicenseRows,
  toLicenseRecord,
  updateLicenseRow,
  type LicenseFilter,
  type LicenseRecord,
  type LicenseRow,
} from './licenses.repository.js';
import { countLicenses, countLicensesByProduct, type LicenseCounts } from './counts.repository.js';
import { findForClientById, findForValidation, toClientLicense, type LiveSeats, type ValidationRow } from './lookup.repository.js';
import {
  advanceTerm,
  findDueRenewals,
  findExpiring,
  findWaitingTerm,
  startWaitingTerm,
  type DueRenewal,
  type ExpiringLicense,
  type ExpiryWindow,
  type NextTerm,
} from './terms.repository.js';

export type { DueRenewal, ExpiringLicense, ExpiryWindow, LicenseCounts };
export type { Billing, LicenseFilter, LicenseRecord, LicenseType } from './licenses.repository.js';
export type { ChangePolicyInput, ClientLicense, CreateLicenseInput, License, SubscriptionUpdate, UpdateLicenseInput } from './license.js';

/**
 * Live seats per license at `now`. The machines module counts them and installs the counter through its
 * wiring: it depends on licenses, so licenses cannot ask it. `count` serves a page (licenses with none may
 * be absent); `liveSeats` is the same rule as a correlated subquery over `licenses.id`, for the client
 * lookup that must stay one query.
 */
export interface SeatCounter {
  count(executor: Executor, licenseIds: string[], now: Date): Promise<Map<string, number>>;
  liveSeats: LiveSeats;
}
export type { LiveSeats };

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

/**
 * Issuing, reading and presenting licenses, and running their changes: the rules of each change are
 * pure functions in license-changes.ts; here they get their transaction, lock and audit event.
 */
export class LicensesService {
  private seatCounter: SeatCounter | undefined;

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

  /** Installs the live-seat counter (the machines module's, through the registry); there is exactly one. */
  useSeatCounter(counter: SeatCounter): void {
    if (this.seatCounter) throw new Error('A seat counter is installed already');
    this.seatCounter = counter;
  }

  private counter(): SeatCounter {
    if (!this.seatCounter) throw new Error('No seat counter is installed (the machines module provides it through its wiring)');
    return this.seatCounter;
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
   * Stored rows as the API shows them, a whole page at once: one call to the products service for the
   * codes and one seat count for every license, whatever the number of rows.
   */
  private async presentRows(executor: Executor, rows: LicenseRow[], now: Date): Promise<License[]> {
    if (rows.length === 0) return [];
    const counter = this.counter();
    const codes = await this.deps.products.codesByIds(executor, rows.map((r) => r.product_id));
    const seats = await counter.count(executor, rows.map((r) => r.id), now);
    return rows.map((row) => this.present(toLicenseRecord(row), codes.get(row.product_id) ?? '', seats.get(row.id) ?? 0));
  }

  private async presentRow(executor: Executor, row: LicenseRow, now: Date): Promise<License> {
    return (await this.presentRows(executor, [row], now))[0]!;
  }

  /**
   * Resolves a license key sent by a client application: the client view and the stored facts, or
   * undefined when no license has the key. A malformed key is a 400 naming the field.
   */
  async resolveKey(key: string): Promise<{ license: ClientLicense; row: ValidationRow } | undefined> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const row = await findForValidation(this.deps.db, this.counter().liveSeats, this.deps.keyring.digest('license-key', parsed.canonical), this.deps.clock.now());
    return row ? { license: this.presentForClient(row), row } : undefined;
  }

  /** Like `resolveKey`, by license id, for a signed-in customer (or staff) acting on a license it may see. */
  async resolveId(ctx: RequestContext, id: string): Promise<{ license: ClientLicense; row: ValidationRow }> {
    const row = await findForClientById(this.deps.db, this.counter().liveSeats, ctx.actor, id, this.deps.clock.now());
    if (!row) throw notFound('License', id);
    return { license: this.presentForClient(row), row };
  }

  /** The client view straight from the validation lookup's row (the hot path: no full record is built). */
  presentForClient(row: ValidationRow): ClientLicense {
    return toClientLicense(row, this.deps.clock.now());
  }

  /** Issues a license from a policy. The full key is in this answer and never again (except by reveal). */
  async create(ctx: RequestContext, input: CreateLicenseInput): Promise<{ license: License; key: string }> {
    const policy = await this.deps.policies.get(ctx, input.policyId);
    const product = await this.deps.products.get(ctx, policy.productId);
    assertPartnerRight(ctx.actor, product.id, 'licenses:create');
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
    const key = generateLicenseKey();
    const canonical = key.replace(/-/g, '');
    const record = changes.issued(input, refs, this.deps.clock.now(), {
      id: newId('lic'),
      keyHint: keyHint(canonical),
      soldBy: ctx.actor.scope.partnerId ?? null,
      createdBy: ctx.actor.label,
    });
    await insertLicense(executor, record, { digest: this.deps.keyring.digest('license-key', canonical), ciphertext: this.deps.keyring.encrypt('license-key', key) });
    await this.deps.events.record(executor, ctx, {
      action: 'license.created',
      targetType: 'license',
      targetId: record.id,
      customerId: record.customerId,
      after: record,
    });
    return { license: this.present(record, refs.product.code, 0), key };
  }

  async get(ctx: RequestContext, id: string): Promise<License> {
    const now = this.deps.clock.now();
    const row = await findLicenseRow(this.deps.db, ctx.actor, id);
    if (!row) throw notFound('License', id);
    return forViewer(ctx, await this.presentRow(this.deps.db, row, now));
  }

  /**
   * Finds a license by its key, within what the actor may see (for staff tools and the CLI). The scope is
   * part of the query, so a key of another organization answers exactly like an unknown one: no id, same message.
   */
  async getByKey(ctx: RequestContext, key: string): Promise<License> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const now = this.deps.clock.now();
    const row = await findLicenseRowByDigest(this.deps.db, ctx.actor, this.deps.keyring.digest('license-key', parsed.canonical));
    if (!row) throw notFound('License');
    return forViewer(ctx, await this.presentRow(this.deps.db, row, now));
  }

  /** A page of licenses; `q` also finds the licenses of customers whose name or e-mail matches (see CustomersService.idsMatching). */
  async list(ctx: RequestContext, filter: LicenseFilter): Promise<Page<License>> {
    const now = this.deps.clock.now();
    const qCustomerIds = filter.q ? await this.deps.customers.idsMatching(this.deps.db, filter.q) : [];
    const rows = await listLicenseRows(this.deps.db, ctx.actor, filter, now, qCustomerIds);
    const licenses = await this.presentRows(this.deps.db, rows, now);
    return page(licenses.map((license) => forViewer(ctx, license)), filter.limit);
  }

  async revealKey(ctx: RequestContext, id: string): Promise<{ id: string; key: string }> {
    return this.deps.db.transaction().execute(async (trx) => {
      const row = await findLicenseRow(trx, ctx.actor, id);
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
    const row = await findLicenseRow(executor, SYSTEM_ACTOR, id);
    return row && this.presentRow(executor, row, now);
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
      const row = await findLicenseRow(trx, ctx.actor, id);
      if (!row) throw notFound('License', id);
      const before = await this.presentRow(trx, row, this.deps.clock.now());
      const next = change(before);
      if (next === null) return before;
      const record: LicenseRecord = { ...toLicenseRecord(row), ...changes.pickRecord(next), updatedAt: this.deps.clock.now().toISOString() };
      record.graceEndsAt = graceEndsAt(record.expiresAt, record.graceDays);
      changes.checkDates(record);
      await updateLicenseRow(trx, record);
      const after = this.present(record, before.product, before.activeMachines);
      await this.deps.events.record(trx, ctx, { action, targetType: 'license', targetId: id, customerId: record.customerId, before, after });
      await options.also?.(trx, after, before);
      return after;
    };
    return options.executor ? run(options.executor) : this.deps.db.transaction().execute(run);
  }

  private change(ctx: RequestContext, id: string, action: string, change: (license: License) => LicenseRecord | null): Promise<License> {
    return this.applyChange(ctx, id, action, change);
  }

  // ---------------------------------------------------------------------------------------------------
  // Changes: each is one `applyChange` with its own history event; the rules are in license-changes.ts.

  async update(ctx: RequestContext, id: string, input: UpdateLicenseInput): Promise<License> {
    const customer = input.customerId ? await this.deps.customers.get(ctx, input.customerId) : undefined;
    return this.change(ctx, id, 'license.updated', (license) => changes.updated(license, input, customer));
  }

  async suspend(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.suspended', (license) => changes.suspended(license, this.deps.clock.now()));
  }

  async reinstate(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.reinstated', (license) => changes.reinstated(license));
  }

  /** Immediate and final: validation answers REVOKED from the next request on. */
  async revoke(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.revoked', (license) => changes.revoked(license, this.deps.clock.now()));
  }

  /** Adds one term of the policy's duration, from the current expiry or from now if that has passed. */
  async renew(ctx: RequestContext, id: string): Promise<License> {
    // Read the policy before the transaction: on SQLite a query outside the open transaction would wait for it.
    const policy = await this.deps.policies.get(ctx, (await this.get(ctx, id)).policyId);
    return this.change(ctx, id, 'license.renewed', (license) => changes.renewed(license, policy, this.deps.clock.now()));
  }

  async extend(ctx: RequestContext, id: string, days: number, options: { action?: string; executor?: Executor; also?: (executor: Executor, after: License) => Promise<void> } = {}): Promise<License> {
    return this.applyChange(ctx, id, options.action ?? 'license.extended', (license) => changes.extended(license, days, this.deps.clock.now()), options);
  }

  /** Adds features (modules) to the license; those it has already are left alone. */
  async addFeatures(ctx: RequestContext, id: string, features: string[]): Promise<License> {
    return this.change(ctx, id, 'license.features_added', (license) => changes.featuresAdded(license, features));
  }

  /** Removes features from the license; naming one it does not have is a 422, so typos do not pass silently. */
  async removeFeatures(ctx: RequestContext, id: string, features: string[]): Promise<License> {
    return this.change(ctx, id, 'license.features_removed', (license) => changes.featuresRemoved(license, features));
  }

  /** A seat pack: `seats` more machines. An unlimited license has nothing to add to. */
  async addSeats(ctx: RequestContext, id: string, seats: number): Promise<License> {
    return this.change(ctx, id, 'license.seats_added', (license) => changes.seatsAdded(license, seats));
  }

  /**
   * Moves the license to another policy of the same product (an upgrade or downgrade, or a trial becoming
   * a paid license): see `policyChanged` for what it takes from the policy and what it keeps.
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
    const now = this.deps.clock.now();
    return this.applyChange(ctx, id, input.action ?? 'license.policy_changed', (license) => changes.policyChanged(license, refs.policy, input, now), {
      ...(executor ? { executor } : {}),
      ...(also ? { also } : {}),
    });
  }

  /**
   * The first activation of a license whose subscription term waits for it (activation alignment) starts
   * the term: expiry one term on. A conditional update inside the activation's transaction, so of two
   * concurrent first activations exactly one starts it. Returns the new dates, or undefined when the
   * license had nothing waiting.
   */
  async startTermOnActivation(executor: Executor, ctx: RequestContext, licenseId: string): Promise<{ expiresAt: string; graceEndsAt: string | null } | undefined> {
    const waiting = await findWaitingTerm(executor, licenseId);
    if (!waiting?.subscription || waiting.subscription.alignment !== 'activation') return undefined;
    const now = this.deps.clock.now();
    const started = startTermAt(waiting.subscription, now);
    const grace = graceEndsAt(started.expiresAt, waiting.graceDays);
    const won = await startWaitingTerm(executor, licenseId, { subscription: started.subscription, expiresAt: started.expiresAt, graceEndsAt: grace, updatedAt: now.toISOString() });
    if (!won) return undefined;
    await this.deps.events.record(executor, ctx, {
      action: 'subscription.term_started',
      targetType: 'license',
      targetId: licenseId,
      customerId: waiting.customerId,
      after: { termStartsAt: started.subscription.termStartsAt, expiresAt: started.expiresAt, firstTermPrice: started.subscription.firstTermPrice },
    });
    return { expiresAt: started.expiresAt, graceEndsAt: grace };
  }
}

/** Staff notes are internal: a customer reading its own licenses does not see them. */
function forViewer(ctx: RequestContext, license: License): License {
  return isStaff(ctx.actor) ? license : { ...license, notes: null };
}
