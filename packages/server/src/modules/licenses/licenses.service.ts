import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Dialect, Executor, Trx } from '../../db/database.js';
import { assertPartnerRight, isCustomerRole, isStaff, SYSTEM_ACTOR, type PartnerRight } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { csvChunks, datedCsvName, EXPORT_PAGE, keysetPages, type CsvExport } from '../../lib/csv.js';
import { formatPrice } from '../../lib/money.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { CustomerGroupsService } from '../customer-groups/customer-groups.service.js';
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
  allocationOf,
  anyLicenseOf,
  findCustomerId,
  licenseIdsAllocatedToGroup,
  findKeyCiphertext,
  findLicenseRow,
  licenseLabelRows,
  findLicenseRowByDigest,
  insertLicense,
  listLicenseRows,
  toLicenseRecord,
  updateLicenseRow,
  type Allocation,
  type LicenseFilter,
  type LicenseRecord,
  type LicenseRow,
} from './licenses.repository.js';
import { countLicenses, countLicensesByProduct, type LicenseCounts } from './counts.repository.js';
import { activeSubscriptionRows, countCreatedFor, type ActiveSubscriptionRow, type CreditSource } from './partner-reports.repository.js';
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
export type { Allocation, Billing, LicenseFilter, LicenseRecord, LicenseType } from './licenses.repository.js';
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
export type { ActiveSubscriptionRow, CreditSource };

/**
 * Draws a new license from a contract (license pack, volume contract) inside the transaction that issues
 * it, before the license row is written. The contracts module installs it through its wiring (it knows
 * licenses; licenses cannot know it). It refuses by throwing (quota used up, contract ended, another
 * policy or holder), and the license is then not created.
 */
export interface ContractDrawer {
  draw(executor: Executor, ctx: RequestContext, contractId: string, license: LicenseRecord): Promise<void>;
}

/** What a customer admin may set on a license it creates from its contract: the rest is the policy's. */
const DELEGATED_FIELDS: ReadonlySet<string> = new Set(['policyId', 'contractId', 'customerId', 'name']);

export interface LicensesDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  products: ProductsService;
  policies: PoliciesService;
  customers: CustomersService;
  customerGroups: CustomerGroupsService;
  dialect: Dialect;
}

/**
 * Issuing, reading and presenting licenses, and running their changes: the rules of each change are
 * pure functions in license-changes.ts; here they get their transaction, lock and audit event.
 */
export class LicensesService {
  private seatCounter: SeatCounter | undefined;
  private contractDrawer: ContractDrawer | undefined;

  constructor(private readonly deps: LicensesDeps) {}

  /** A license is named by its name, else by its key's last symbols (never the key). */
  wiring(): ModuleWiring {
    return {
      // Customers and policies with licenses cannot be deleted (they do not know licenses: licenses knows them).
      customerUses: [async (executor, customerId) => ((await anyLicenseOf(executor, 'customer_id', customerId)) ? 'licenses' : undefined)],
      policyUses: [async (executor, policyId) => ((await anyLicenseOf(executor, 'policy_id', policyId)) ? 'Licenses' : undefined)],
      // A customer sees the products it licenses (products cannot ask: licenses knows products).
      licensedProducts: licensedProductIds,
      // A deleted group's tickets go back to the organization, each one audited (customer groups cannot know licenses).
      customerGroupDeleteSteps: [
        async (executor, ctx, group) => {
          for (const id of await licenseIdsAllocatedToGroup(executor, group.id)) {
            await this.applyChange(ctx, id, 'license.allocated', (license) => ({ ...license, allocation: allocationOf(null, null) }), { executor });
          }
        },
      ],
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

  /** Installs the contract drawer (the contracts module's, through the registry); there is exactly one. */
  useContractDrawer(drawer: ContractDrawer): void {
    if (this.contractDrawer) throw new Error('A contract drawer is installed already');
    this.contractDrawer = drawer;
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
    // A customer admin (delegated creation): only from its organization's contract, for its organization.
    // The policy is read unscoped (its product may be new to the organization); the draw checks the
    // policy is one the contract covers, inside the transaction.
    const delegated = isCustomerRole(ctx.actor.role);
    if (delegated) input = delegatedInput(ctx, input);
    const reader: RequestContext = delegated ? { ...ctx, actor: SYSTEM_ACTOR } : ctx;
    const policy = await this.deps.policies.get(reader, input.policyId);
    const product = await this.deps.products.get(reader, policy.productId);
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
    if (record.contractId !== null) await this.drawFrom(executor, ctx, record.contractId, record);
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

  private async drawFrom(executor: Executor, ctx: RequestContext, contractId: string, record: LicenseRecord): Promise<void> {
    if (!this.contractDrawer) throw new Error('No contract drawer is installed (the contracts module provides it through its wiring)');
    await this.contractDrawer.draw(executor, ctx, contractId, record);
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

  /**
   * The licenses of a list filter (the list's scope and filters) as CSV for ERP import, streamed: keyset
   * pages of 1,000 rows, each with its product codes, seat counts and customer names looked up in one
   * batch, so memory stays flat however many rows there are. Newest first, like the list; one instant for
   * the whole export, so a status filter means the same on every page. No key material: the key's last
   * group (`key_hint`) only, as the list shows.
   */
  exportCsv(ctx: RequestContext, filter: Omit<LicenseFilter, 'limit' | 'cursor'>, pageSize = EXPORT_PAGE): CsvExport {
    const now = this.deps.clock.now();
    const { db, customers } = this.deps;
    const present = (rows: LicenseRow[]) => this.presentRows(db, rows, now);
    async function* pages(): AsyncGenerator<Array<{ license: License; customerName: string | null }>> {
      const qCustomerIds = filter.q ? await customers.idsMatching(db, filter.q) : [];
      for await (const rows of keysetPages((p) => listLicenseRows(db, ctx.actor, { ...filter, ...p }, now, qCustomerIds), pageSize)) {
        const licenses = await present(rows);
        const names = await customers.namesWith(db, licenses.flatMap((l) => (l.customerId ? [l.customerId] : [])));
        yield licenses.map((license) => ({ license, customerName: license.customerId ? (names.get(license.customerId) ?? null) : null }));
      }
    }
    const chunks = csvChunks(LICENSE_CSV_HEADER, pages(), ({ license: l, customerName }) => [
      [
        l.id, l.name, l.keyHint, l.productId, l.product, l.policyId, l.customerId, customerName, l.type, l.status,
        l.startsAt, l.expiresAt, l.graceEndsAt, l.suspendedAt, l.revokedAt, l.maxMachines, l.maxUsers, l.activeMachines,
        l.subscription ? formatPrice(l.subscription.price, l.subscription.currency) : null, l.subscription?.currency ?? null,
        l.billing.reference, l.soldBy, l.contractId, l.createdAt, l.updatedAt,
      ],
    ]);
    return { filename: datedCsvName('licenses', now), chunks };
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

  /**
   * Name, product code and customer of these licenses in two queries (exports of other modules name the
   * license of each row). Unscoped: the caller read the ids within its actor's scope.
   */
  async labelsWith(executor: Executor, ids: string[]): Promise<Map<string, { name: string; productCode: string; customerId: string | null }>> {
    const rows = await licenseLabelRows(executor, [...new Set(ids)]);
    const codes = await this.deps.products.codesByIds(executor, rows.map((r) => r.product_id));
    return new Map(rows.map((r) => [r.id, { name: r.name, productCode: codes.get(r.product_id) ?? '', customerId: r.customer_id }]));
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

  /**
   * One keyset page of the subscription licenses credited to a partner (through one `source`) that were
   * active at some moment of [start, end) — the partner report's batched read (see partner-reports.repository).
   */
  async activeSubscriptionsOfPartner(
    ctx: RequestContext,
    q: { partnerId: string; source: CreditSource; start: string; end: string; limit: number; after?: ActiveSubscriptionRow | undefined },
  ): Promise<ActiveSubscriptionRow[]> {
    return activeSubscriptionRows(this.deps.db, ctx.actor, q);
  }

  /** Licenses and trials credited to a partner (through one `source`) created in [from, to). */
  async countCreatedForPartner(ctx: RequestContext, q: { partnerId: string; source: CreditSource; from: string; to: string }): Promise<{ licenses: number; trials: number }> {
    return countCreatedFor(this.deps.db, ctx.actor, q);
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
    options: { executor?: Executor; also?: (executor: Executor, after: License, before: License) => Promise<void>; right?: PartnerRight | readonly PartnerRight[] } = {},
  ): Promise<License> {
    const run = async (trx: Executor): Promise<License> => {
      if (this.deps.dialect === 'postgres') await trx.selectFrom('licenses').select('id').where('id', '=', id).forUpdate().execute();
      const row = await findLicenseRow(trx, ctx.actor, id);
      if (!row) throw notFound('License', id);
      // A partner changes a license (of its own customers: else 404 above) only under its right on the
      // license's product; a change no partner right names is refused.
      if (ctx.actor.scope.partnerId !== undefined) {
        if (options.right === undefined) throw new AppError('FORBIDDEN', 'Partners cannot make this change to a license: no partner right covers it');
        assertPartnerRight(ctx.actor, row.product_id, options.right);
      }
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

  /**
   * Allocates the license (the ticket) to its organization (`{}`), a group of it (`{groupId}`) or one of its
   * users (`{userId}`, or `{groupId, userId}` for a member of that group). Staff with licenses:allocate and
   * the organization's customer admins allocate any ticket of the organization; an admin of the group the
   * ticket is allocated to allocates it within the group only: to a member of it, or back to the group.
   * Recorded as `license.allocated` with before and after; allocating a ticket where it is is no change.
   */
  async allocate(ctx: RequestContext, id: string, target: { groupId?: string; userId?: string }): Promise<License> {
    const { customerGroups } = this.deps;
    const executor = this.deps.db;
    // Read before the transaction (SQLite: one connection); the change re-checks what the decision rested on.
    const current = await this.get(ctx, id);
    const customerId = current.customerId;
    if (customerId === null && (target.groupId !== undefined || target.userId !== undefined)) {
      throw new AppError('ALLOCATION_INVALID', 'The license belongs to no customer organization: it can only stay with no one', { fields: { [target.groupId !== undefined ? 'groupId' : 'userId']: 'the license has no customer' } });
    }
    let groupId: string | null = target.groupId ?? null;
    const userId: string | null = target.userId ?? null;
    const actor = ctx.actor;
    const organizationWide = isStaff(actor) || actor.role === 'customer-admin';
    if (!organizationWide) {
      // A member: only as an admin of the group the ticket is allocated to, within that group.
      const heldBy = current.allocation.groupId;
      const person = actor.type === 'user' ? actor.id : null;
      const role = heldBy !== null && person !== null ? await customerGroups.membership(executor, heldBy, person) : undefined;
      if (!role?.admin) throw new AppError('FORBIDDEN', 'Only an admin of the group this license is allocated to may allocate it (or an admin of the organization)');
      if (groupId !== null && groupId !== heldBy) throw new AppError('FORBIDDEN', 'A group admin allocates within its group: to a member of it, or back to the group');
      if (groupId === null && userId === null) throw new AppError('FORBIDDEN', 'A group admin cannot return a ticket to the organization; an admin of the organization can');
      groupId = heldBy;
    }
    if (groupId !== null && !(await customerGroups.groupOf(executor, customerId!, groupId))) {
      throw new AppError('ALLOCATION_INVALID', `No group ${groupId} in the license's organization`, { fields: { groupId: "must be a group of the license's organization" } });
    }
    if (userId !== null) {
      await customerGroups.assertPersonOf(executor, customerId!, userId);
      if (groupId !== null && !(await customerGroups.membership(executor, groupId, userId))) {
        throw new AppError('ALLOCATION_INVALID', `User ${userId} is not a member of group ${groupId}`, { fields: { userId: 'must be a member of the group' } });
      }
    }
    const next: Allocation = allocationOf(groupId, userId);
    return this.applyChange(ctx, id, 'license.allocated', (license) => {
      // What the decision rested on must still hold (a concurrent allocation or a customer change wins).
      if (license.customerId !== customerId || (!organizationWide && license.allocation.groupId !== current.allocation.groupId)) {
        throw new AppError('CONFLICT', 'The license was changed meanwhile; read it again and retry');
      }
      if (license.allocation.groupId === next.groupId && license.allocation.userId === next.userId) return null;
      return { ...license, allocation: next };
    });
  }

  private change(ctx: RequestContext, id: string, action: string, change: (license: License) => LicenseRecord | null, right?: PartnerRight): Promise<License> {
    return this.applyChange(ctx, id, action, change, right ? { right } : {});
  }

  // ---------------------------------------------------------------------------------------------------
  // Changes: each is one `applyChange` with its own history event; the rules are in license-changes.ts.

  async update(ctx: RequestContext, id: string, input: UpdateLicenseInput): Promise<License> {
    const customer = input.customerId ? await this.deps.customers.get(ctx, input.customerId) : undefined;
    return this.change(ctx, id, 'license.updated', (license) => changes.updated(license, input, customer));
  }

  async suspend(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.suspended', (license) => changes.suspended(license, this.deps.clock.now()), 'licenses:suspend');
  }

  async reinstate(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.reinstated', (license) => changes.reinstated(license), 'licenses:suspend');
  }

  /** Immediate and final: validation answers REVOKED from the next request on. */
  async revoke(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.revoked', (license) => changes.revoked(license, this.deps.clock.now()), 'licenses:revoke');
  }

  /** Adds one term of the policy's duration, from the current expiry or from now if that has passed. */
  async renew(ctx: RequestContext, id: string): Promise<License> {
    // Read the policy before the transaction: on SQLite a query outside the open transaction would wait for it.
    const policy = await this.deps.policies.get(ctx, (await this.get(ctx, id)).policyId);
    return this.change(ctx, id, 'license.renewed', (license) => changes.renewed(license, policy, this.deps.clock.now()), 'licenses:extend');
  }

  /** `options.right`: the partner right the caller's use case needs (a trial's extension: trials:create); licenses:extend by default. */
  async extend(ctx: RequestContext, id: string, days: number, options: { action?: string; executor?: Executor; also?: (executor: Executor, after: License) => Promise<void>; right?: PartnerRight } = {}): Promise<License> {
    return this.applyChange(ctx, id, options.action ?? 'license.extended', (license) => changes.extended(license, days, this.deps.clock.now()), { ...options, right: options.right ?? 'licenses:extend' });
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
    input: ChangePolicyInput & { action?: string; subscription?: SubscriptionOverrides; right?: readonly PartnerRight[]; contractId?: string },
    refs: { policy: Policy },
    also?: (executor: Executor, after: License, before: License) => Promise<void>,
  ): Promise<License> {
    const now = this.deps.clock.now();
    const { right, contractId, ...change } = input;
    // Drawn from a contract (a trial converted into a license pack): the license names it, and the draw
    // (quota, holder, policy checked) happens in the change's transaction, so a refusal changes nothing.
    const draw = contractId === undefined ? also : async (trx: Executor, after: License, before: License) => {
      await this.drawFrom(trx, ctx, contractId, after);
      await also?.(trx, after, before);
    };
    const changed = (license: License) => {
      const next = changes.policyChanged(license, refs.policy, change, now);
      return contractId === undefined ? next : { ...next, contractId };
    };
    return this.applyChange(ctx, id, change.action ?? 'license.policy_changed', changed, {
      ...(executor ? { executor } : {}),
      ...(draw ? { also: draw } : {}),
      ...(right ? { right } : {}),
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

/**
 * A customer admin's license request, checked: it names a contract (its organization's: the draw checks),
 * is for its own organization (or names none: then its own), and sets nothing but the policy and a name
 * (terms, seats and features are the policy's, as the contract was sold).
 */
function delegatedInput(ctx: RequestContext, input: CreateLicenseInput): CreateLicenseInput {
  const own = ctx.actor.scope.customerId;
  if (!input.contractId || own === undefined) {
    throw new AppError('FORBIDDEN', "Customer admins create licenses only from their organization's contract", { fields: { contractId: 'is required for customer admins' } });
  }
  if (input.customerId != null && input.customerId !== own) throw new AppError('FORBIDDEN', 'Customer admins create licenses only for their own organization', { fields: { customerId: 'must be your organization' } });
  const staffOnly = Object.entries(input).filter(([field, value]) => value !== undefined && !DELEGATED_FIELDS.has(field)).map(([field]) => field);
  if (staffOnly.length > 0) {
    throw new AppError('FORBIDDEN', `Customer admins issue licenses on the policy's terms: ${staffOnly.join(', ')} ${staffOnly.length === 1 ? 'is' : 'are'} set by staff`, {
      fields: Object.fromEntries(staffOnly.map((field) => [field, 'is set by staff'])),
    });
  }
  return { ...input, customerId: own };
}

/** Staff notes are internal: a customer reading its own licenses does not see them. */
/** The columns of `exportLicenses` (price: a full term in major units, subscriptions only). */
const LICENSE_CSV_HEADER = [
  'license_id', 'name', 'key_hint', 'product_id', 'product_code', 'policy_id', 'customer_id', 'customer_name', 'type', 'status',
  'starts_at', 'expires_at', 'grace_ends_at', 'suspended_at', 'revoked_at', 'max_machines', 'max_users', 'active_machines',
  'price', 'currency', 'billing_reference', 'sold_by', 'contract_id', 'created_at', 'updated_at',
];

function forViewer(ctx: RequestContext, license: License): License {
  return isStaff(ctx.actor) ? license : { ...license, notes: null };
}
