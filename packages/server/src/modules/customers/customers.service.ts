import type { Db, Executor } from '../../db/database.js';
import { isStaff, type PartnerRight } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { csvChunks, datedCsvName, EXPORT_PAGE, keysetPages, type CsvExport } from '../../lib/csv.js';
import { newId } from '../../lib/ids.js';
import { stripUndefined } from '../../lib/objects.js';
import { page, type Page } from '../../lib/pagination.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import {
  customerNames,
  deleteCustomerRow,
  findCustomer,
  findCustomerByEmail,
  insertCustomer,
  listCustomers,
  customerIdsMatching,
  missingCustomerIds,
  updateCustomerRow,
  type Contact,
  type Customer,
} from './customers.repository.js';
import type { ModuleWiring } from '../../wiring.js';

export type { Contact, Customer } from './customers.repository.js';

export interface CreateCustomerInput {
  name: string;
  email: string;
  contacts?: Contact[];
  notes?: string | null;
  metadata?: Record<string, unknown>;
  /** Staff assign a customer to a partner (null: the vendor's own); a partner's customers are its own. */
  partnerId?: string | null;
}
export type UpdateCustomerInput = Partial<CreateCustomerInput>;

/**
 * Whether another module's records still point at the customer (so it cannot be deleted): a word naming
 * them (`licenses`, `users`), or undefined. Registered through the module's wiring (`customerUses`), because those
 * modules depend on customers and not the other way round.
 */
export type CustomerUseCheck = (executor: Executor, customerId: string) => Promise<string | undefined>;

/** At most this many ids from `idsMatching`: enough for a search, small enough for an `in (…)` list. */
export const MATCHING_IDS_CAP = 1000;

export interface CustomersDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
}

export class CustomersService {
  private readonly useChecks: CustomerUseCheck[] = [];

  constructor(private readonly deps: CustomersDeps) {}

  /** Adds a rule that keeps a customer from being deleted while other records point at it. */
  addUseCheck(check: CustomerUseCheck): void {
    this.useChecks.push(check);
  }

  private async inUse(executor: Executor, id: string): Promise<boolean> {
    for (const check of this.useChecks) if ((await check(executor, id)) !== undefined) return true;
    return false;
  }

  /** How event lists name customers, and which customers' events a partner reads. */
  wiring(): ModuleWiring {
    return {
      partnerCustomers: (partnerId) => this.deps.db.selectFrom('customers').select('customers.id').where('customers.partner_id', '=', partnerId),
      namers: {
        customer: async (ctx, ids) => {
          let q = this.deps.db.selectFrom('customers').select(['id', 'name']).where('id', 'in', ids);
          if (ctx.actor.scope.customerId !== undefined) q = q.where('id', '=', ctx.actor.scope.customerId);
          if (ctx.actor.scope.partnerId !== undefined) q = q.where('partner_id', '=', ctx.actor.scope.partnerId);
          return new Map((await q.execute()).map((r) => [r.id, r.name]));
        },
      },
    };
  }

  async create(ctx: RequestContext, input: CreateCustomerInput): Promise<Customer> {
    return this.deps.db.transaction().execute((trx) => this.createWith(trx, ctx, input));
  }

  /** `create` inside the caller's transaction (an order creates its customer along with the licenses). */
  async createWith(executor: Executor, ctx: RequestContext, input: CreateCustomerInput): Promise<Customer> {
    const partnerId = partnerOfNewCustomer(ctx, input.partnerId);
    const now = this.deps.clock.now().toISOString();
    const customer: Customer = {
      id: newId('cus'),
      name: input.name,
      email: input.email.toLowerCase(),
      contacts: input.contacts ?? [],
      notes: input.notes ?? null,
      metadata: input.metadata ?? {},
      partnerId,
      createdAt: now,
      updatedAt: now,
    };
    await insertCustomer(executor, customer);
    await this.deps.events.record(executor, ctx, {
      action: 'customer.created',
      targetType: 'customer',
      targetId: customer.id,
      customerId: customer.id,
      after: customer,
    });
    return customer;
  }

  /**
   * The oldest customer (within the actor's scope) whose e-mail is `email`, compared case-insensitively
   * (e-mails are stored lower-case). Takes an executor so it can run inside the caller's transaction.
   */
  async findByEmail(executor: Executor, ctx: RequestContext, email: string): Promise<Customer | undefined> {
    const customer = await findCustomerByEmail(executor, ctx.actor, email);
    return customer && forViewer(ctx, customer);
  }

  async get(ctx: RequestContext, id: string): Promise<Customer> {
    return this.getWith(this.deps.db, ctx, id);
  }

  /** `get` on the caller's executor (inside its transaction). */
  async getWith(executor: Executor, ctx: RequestContext, id: string): Promise<Customer> {
    const customer = await findCustomer(executor, ctx.actor, id);
    if (!customer) throw notFound('Customer', id);
    return forViewer(ctx, customer);
  }

  /** The names of these customers, in one query on the caller's executor (mails that list licenses). */
  async namesWith(executor: Executor, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    return new Map((await customerNames(executor, [...new Set(ids)])).map((r) => [r.id, r.name]));
  }

  /** The ids among `customerIds` that name no customer, on the caller's executor (a custom product names its customers). */
  async missingIds(executor: Executor, customerIds: string[]): Promise<string[]> {
    return missingCustomerIds(executor, customerIds);
  }

  /**
   * Ids of the customers whose name or e-mail contains `q`, case-insensitively, in every organization (the
   * caller applies the viewer's scope to what it finds): how the license search finds licenses by holder.
   * Capped at `MATCHING_IDS_CAP` (newest customers first) so a short query cannot return every customer:
   * a search that matches more customers than that finds the licenses of the newest ones only.
   */
  async idsMatching(executor: Executor, q: string): Promise<string[]> {
    return customerIdsMatching(executor, q, MATCHING_IDS_CAP);
  }

  async list(ctx: RequestContext, filter: { email?: string; q?: string; partnerId?: string; limit: number; cursor?: string }): Promise<Page<Customer>> {
    const found = page(await listCustomers(this.deps.db, ctx.actor, filter), filter.limit);
    return { ...found, data: found.data.map((customer) => forViewer(ctx, customer)) };
  }

  /**
   * The customers of a list filter (the list's scope and filters) as CSV, streamed in keyset pages of
   * 1,000, newest first: one line per customer with its main e-mail and how many more contacts it has.
   * No notes or metadata (free text for the vendor's eyes, not an ERP's).
   */
  exportCsv(ctx: RequestContext, filter: { email?: string; q?: string; partnerId?: string }, pageSize = EXPORT_PAGE): CsvExport {
    const { db, clock } = this.deps;
    const pages = keysetPages((p) => listCustomers(db, ctx.actor, { ...filter, ...p }), pageSize);
    const chunks = csvChunks(CUSTOMER_CSV_HEADER, pages, (c) => [[c.id, c.name, c.email, c.contacts.length, c.partnerId, c.createdAt, c.updatedAt]]);
    return { filename: datedCsvName('customers', clock.now()), chunks };
  }

  async update(ctx: RequestContext, id: string, input: UpdateCustomerInput): Promise<Customer> {
    return this.deps.db.transaction().execute(async (trx) => {
      const before = await findCustomer(trx, ctx.actor, id);
      if (!before) throw notFound('Customer', id);
      if (input.partnerId !== undefined && input.partnerId !== before.partnerId && !isStaff(ctx.actor)) {
        throw new AppError('FORBIDDEN', 'Only staff assign a customer to a partner');
      }
      const after: Customer = { ...before, ...stripUndefined(input), updatedAt: this.deps.clock.now().toISOString() };
      after.email = after.email.toLowerCase();
      await updateCustomerRow(trx, after);
      await this.deps.events.record(trx, ctx, { action: 'customer.updated', targetType: 'customer', targetId: id, customerId: id, before, after });
      return forViewer(ctx, after);
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const before = await findCustomer(trx, ctx.actor, id);
      if (!before) throw notFound('Customer', id);
      if (await this.inUse(trx, id)) throw new AppError('CONFLICT', 'The customer still has licenses or users');
      await deleteCustomerRow(trx, id);
      await this.deps.events.record(trx, ctx, { action: 'customer.deleted', targetType: 'customer', targetId: id, customerId: id, before });
    });
  }
}

/** Staff notes on a customer are internal: its own users and tokens, and partners, read the record without them (as with license notes). */
const CUSTOMER_CSV_HEADER = ['customer_id', 'name', 'email', 'contacts', 'partner_id', 'created_at', 'updated_at'];

function forViewer(ctx: RequestContext, customer: Customer): Customer {
  return isStaff(ctx.actor) ? customer : { ...customer, notes: null };
}

const CUSTOMERS_CREATE: PartnerRight = 'customers:create';

/**
 * The partner a new customer belongs to. A partner's user creates customers of its own partner (with the
 * `customers:create` right on any of its groups); staff may name a partner; customers create none.
 */
function partnerOfNewCustomer(ctx: RequestContext, requested: string | null | undefined): string | null {
  const { partnerId, partnerRights } = ctx.actor.scope;
  if (partnerId === undefined) return requested ?? null;
  if (requested !== undefined && requested !== partnerId) throw new AppError('FORBIDDEN', 'A partner creates customers of its own');
  if (![...(partnerRights?.values() ?? [])].some((rights) => rights.has(CUSTOMERS_CREATE))) {
    throw new AppError('FORBIDDEN', `Your partner has no ${CUSTOMERS_CREATE} right`, { right: CUSTOMERS_CREATE });
  }
  return partnerId;
}
