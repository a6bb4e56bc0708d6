import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Executor } from '../../db/database.js';
import { AppError, notFound } from '../../http/errors.js';
import { addDays, type Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { normalizeCountries, type PoliciesService, type Policy, type PolicyKind } from '../policies/policies.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import { generateLicenseKey, keyHint, parseLicenseKey } from './license-key.js';
import { graceEndsAt, licenseStatus, type LicenseStatus } from './license-status.js';
import {
  findForClientById,
  findForValidation,
  findKeyCiphertext,
  findLicenseRow,
  insertLicense,
  listLicenseRows,
  toLicenseRecord,
  updateLicenseRow,
  type Billing,
  type LicenseFilter,
  type LicenseRecord,
  type LicenseRowWithProduct,
  type LicenseType,
  type ValidationRow,
} from './licenses.repository.js';
import { parseJson, toIso } from '../../db/database.js';
import { normalizeMeters, type Meter } from '../usage/meters.js';

export type { Billing, LicenseFilter, LicenseRecord, LicenseType } from './licenses.repository.js';

/** A license as the API shows it: the stored record plus facts derived at the time of the answer. */
export interface License extends LicenseRecord {
  /** The product's code. */
  product: string;
  status: LicenseStatus;
  activeMachines: number;
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
>;

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
}

export type UpdateLicenseInput = Partial<Omit<CreateLicenseInput, 'policyId'>>;

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

export class LicensesService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    private readonly events: EventsService,
    private readonly products: ProductsService,
    private readonly policies: PoliciesService,
    private readonly customers: CustomersService,
  ) {}

  present(record: LicenseRecord, productCode: string, activeMachines: number): License {
    return { ...record, product: productCode, status: licenseStatus(record, this.clock.now()), activeMachines };
  }

  /**
   * Resolves a license key sent by a client application: the client view and the stored facts, or
   * undefined when no license has the key. A malformed key is a 400 naming the field.
   */
  async resolveKey(key: string): Promise<{ license: ClientLicense; row: ValidationRow } | undefined> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const row = await findForValidation(this.db, this.keyring.digest('license-key', parsed.canonical), this.clock.now());
    return row ? { license: this.presentForClient(row), row } : undefined;
  }

  /** Like `resolveKey`, by license id, for a signed-in customer (or staff) acting on a license it may see. */
  async resolveId(ctx: RequestContext, id: string): Promise<{ license: ClientLicense; row: ValidationRow }> {
    const row = await findForClientById(this.db, ctx.actor, id, this.clock.now());
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
      status: licenseStatus(facts, this.clock.now()),
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
    };
  }

  private presentRow(row: LicenseRowWithProduct): License {
    return this.present(toLicenseRecord(row), row.product_code, Number(row.active_machines));
  }

  /** Issues a license from a policy. The full key is in this answer and never again (except by reveal). */
  async create(ctx: RequestContext, input: CreateLicenseInput): Promise<{ license: License; key: string }> {
    const policy = await this.policies.get(ctx, input.policyId);
    const product = await this.products.get(ctx, policy.productId);
    const customer = input.customerId ? await this.customers.get(ctx, input.customerId) : null;
    return this.db.transaction().execute((trx) => this.createWith(trx, ctx, input, { policy, product, customer }));
  }

  /**
   * `create` inside the caller's transaction, for use cases that issue licenses along with other changes
   * (orders, trial sign-ups). The caller reads the policy, its product and the customer first (before
   * opening the transaction, or with the same transaction for a customer it just created), so nothing
   * here touches `this.db`. `input.policyId` and `input.customerId` are ignored in favour of `refs`.
   */
  async createWith(
    executor: Executor,
    ctx: RequestContext,
    input: CreateLicenseInput,
    refs: { policy: Policy; product: Product; customer: Customer | null },
  ): Promise<{ license: License; key: string }> {
    const { policy, product, customer } = refs;
    const now = this.clock.now();
    const startsAt = input.startsAt ? new Date(input.startsAt).toISOString() : now.toISOString();
    let expiresAt: string | null;
    if (input.expiresAt !== undefined) expiresAt = input.expiresAt === null ? null : new Date(input.expiresAt).toISOString();
    else expiresAt = policy.durationDays === null ? null : addDays(new Date(startsAt), policy.durationDays).toISOString();
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
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    checkDates(record);
    await insertLicense(executor, record, { digest: this.keyring.digest('license-key', canonical), ciphertext: this.keyring.encrypt('license-key', key) });
    await this.events.record(executor, ctx, {
      action: 'license.created',
      targetType: 'license',
      targetId: record.id,
      customerId: record.customerId,
      after: record,
    });
    return { license: this.present(record, product.code, 0), key };
  }

  async get(ctx: RequestContext, id: string): Promise<License> {
    const row = await findLicenseRow(this.db, ctx.actor, id, this.clock.now());
    if (!row) throw notFound('License', id);
    return forViewer(ctx, this.presentRow(row));
  }

  /** Finds a license by its key, within what the actor may see (for staff tools and the CLI). */
  async getByKey(ctx: RequestContext, key: string): Promise<License> {
    const parsed = parseLicenseKey(key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    const row = await this.db.selectFrom('licenses').select('id').where('key_digest', '=', this.keyring.digest('license-key', parsed.canonical)).executeTakeFirst();
    if (!row) throw notFound('License');
    return this.get(ctx, row.id);
  }

  async list(ctx: RequestContext, filter: LicenseFilter): Promise<Page<License>> {
    const rows = await listLicenseRows(this.db, ctx.actor, filter, this.clock.now());
    return page(rows.map((r) => forViewer(ctx, this.presentRow(r))), filter.limit);
  }

  async revealKey(ctx: RequestContext, id: string): Promise<{ id: string; key: string }> {
    return this.db.transaction().execute(async (trx) => {
      const row = await findLicenseRow(trx, ctx.actor, id, this.clock.now());
      if (!row) throw notFound('License', id);
      const sealed = await findKeyCiphertext(trx, id);
      const key = this.keyring.decrypt('license-key', sealed!).toString('utf8');
      await this.events.record(trx, ctx, { action: 'license.key_revealed', targetType: 'license', targetId: id, customerId: row.customer_id });
      return { id, key };
    });
  }

  /**
   * Runs one change to a license in a transaction (the change itself does no I/O): loads it (within the actor's scope), applies
   * `change`, writes it with an audit event holding before and after.
   */
  private async change(
    ctx: RequestContext,
    id: string,
    action: string,
    change: (license: License) => LicenseRecord,
  ): Promise<License> {
    return this.db.transaction().execute(async (trx) => {
      const row = await findLicenseRow(trx, ctx.actor, id, this.clock.now());
      if (!row) throw notFound('License', id);
      const before = this.presentRow(row);
      const next = change(before);
      const record: LicenseRecord = { ...toLicenseRecord(row), ...pickRecord(next), updatedAt: this.clock.now().toISOString() };
      record.graceEndsAt = graceEndsAt(record.expiresAt, record.graceDays);
      checkDates(record);
      await updateLicenseRow(trx, record);
      const after = this.present(record, row.product_code, Number(row.active_machines));
      await this.events.record(trx, ctx, { action, targetType: 'license', targetId: id, customerId: record.customerId, before, after });
      return after;
    });
  }

  async update(ctx: RequestContext, id: string, input: UpdateLicenseInput): Promise<License> {
    const customer = input.customerId ? await this.customers.get(ctx, input.customerId) : undefined;
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
      return { ...license, suspendedAt: this.clock.now().toISOString() };
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
      return { ...license, revokedAt: this.clock.now().toISOString() };
    });
  }

  /** Adds one term of the policy's duration, from the current expiry or from now if that has passed. */
  async renew(ctx: RequestContext, id: string): Promise<License> {
    // Read the policy before the transaction: on SQLite a query outside the open transaction would wait for it.
    const policy = await this.policies.get(ctx, (await this.get(ctx, id)).policyId);
    return this.change(ctx, id, 'license.renewed', (license) => {
      if (license.revokedAt) throw transition('a revoked license cannot be renewed');
      if (policy.durationDays === null || license.expiresAt === null) {
        throw new AppError('NOT_RENEWABLE', 'The license is perpetual; there is nothing to renew');
      }
      return { ...license, expiresAt: this.extendFrom(license.expiresAt, policy.durationDays) };
    });
  }

  async extend(ctx: RequestContext, id: string, days: number): Promise<License> {
    return this.change(ctx, id, 'license.extended', (license) => {
      if (license.revokedAt) throw transition('a revoked license cannot be extended');
      if (license.expiresAt === null) throw new AppError('LICENSE_PERPETUAL', 'The license does not expire; there is nothing to extend');
      return { ...license, expiresAt: this.extendFrom(license.expiresAt, days) };
    });
  }

  private extendFrom(expiresAt: string, days: number): string {
    const now = this.clock.now();
    const base = Date.parse(expiresAt) > now.getTime() ? new Date(expiresAt) : now;
    return addDays(base, days).toISOString();
  }
}

/** Staff notes are internal: a customer reading its own licenses does not see them. */
function forViewer(ctx: RequestContext, license: License): License {
  return ctx.actor.scope.customerId !== undefined ? { ...license, notes: null } : license;
}

function transition(message: string): AppError {
  return new AppError('INVALID_TRANSITION', `Not possible: ${message}`);
}

/** Keeps only stored fields, dropping the derived ones a License carries. */
function pickRecord(license: LicenseRecord & Partial<Pick<License, 'product' | 'status' | 'activeMachines'>>): LicenseRecord {
  const { product: _p, status: _s, activeMachines: _a, ...record } = license;
  return record;
}
