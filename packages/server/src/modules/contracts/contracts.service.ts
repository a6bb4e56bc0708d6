import type { Db, Executor } from '../../db/database.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import type { LicenseRecord } from '../licenses/licenses.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { MailTemplatesService } from '../mail/mail-templates.service.js';
import type { PartnersService } from '../partners/partners.service.js';
import type { PoliciesService, Policy } from '../policies/policies.service.js';
import type { ProductGroupsService } from '../product-groups/product-groups.service.js';
import type { ProductsService } from '../products/products.service.js';
import type { SettingsService } from '../settings/settings.service.js';
import type { UsersService } from '../users/users.service.js';
import type { ModuleWiring } from '../../wiring.js';
import { CONTRACT_QUOTA_TEMPLATE } from './contract-mail.js';
import {
  anyContractOf,
  cancelContractRow,
  claimAlert,
  contractNames,
  contractStatus,
  drawQuota,
  findContractRow,
  insertContract,
  listContractRows,
  setQuantity,
  toContract,
  updateContractRow,
  type Contract,
  type ContractFilter,
  type ContractRow,
  type ContractUnit,
} from './contracts.repository.js';

export type { Contract, ContractFilter, ContractStatus, ContractUnit } from './contracts.repository.js';

/** A policy a license drawn from a contract may have (`listContractPolicies`). */
export interface ContractPolicy {
  id: string;
  name: string;
  kind: Policy['kind'];
  maxMachines: number | null;
  productId: string;
  productName: string;
}

export interface CreateContractInput {
  customerId?: string | null;
  partnerId?: string | null;
  policyId?: string | null;
  productGroupId?: string | null;
  unit: ContractUnit;
  quantity: number | null;
  endsAt?: string | null;
}

export interface UpdateContractInput {
  quantity?: number | null;
  endsAt?: string | null;
}

export interface ContractsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  customers: CustomersService;
  policies: PoliciesService;
  partners: PartnersService;
  productGroups: ProductGroupsService;
  products: ProductsService;
  users: UsersService;
  mail: MailService;
  mailTemplates: MailTemplatesService;
  settings: SettingsService;
  publicUrl: string;
}

/** The shares of a quota that raise an alert, each once per contract (see `alert`). */
const ALERT_LEVELS = [
  { percent: 80, column: 'alerted_80_at', action: 'contract.quota_80' },
  { percent: 100, column: 'alerted_100_at', action: 'contract.quota_100' },
] as const;

/**
 * Contracts (license packs, volume contracts): a quota of licenses or seats of one policy or product
 * group, held by a customer organization or a partner, until an end date. Licenses draw from a contract as
 * they are issued (`draw`, installed into the licenses module), in the issuing transaction: a draw that
 * does not fit refuses the license. Revoking a license gives nothing back (the contract counts licenses
 * issued, as the pack was sold); staff raise the quantity to give more.
 */
export class ContractsService {
  constructor(private readonly deps: ContractsDeps) {
    deps.mailTemplates.registerTemplate('contract.quota', CONTRACT_QUOTA_TEMPLATE);
  }

  wiring(): ModuleWiring {
    return {
      namers: { contract: (ctx, ids) => contractNames(this.deps.db, ctx.actor, ids) },
      contractDrawer: { draw: (executor, ctx, contractId, license) => this.draw(executor, ctx, contractId, license) },
      // Customers and policies with contracts cannot be deleted.
      customerUses: [async (executor, customerId) => ((await anyContractOf(executor, 'customer_id', customerId)) ? 'contracts' : undefined)],
      policyUses: [async (executor, policyId) => ((await anyContractOf(executor, 'policy_id', policyId)) ? 'Contracts' : undefined)],
    };
  }

  async create(ctx: RequestContext, input: CreateContractInput): Promise<Contract> {
    const holders = [input.customerId ? 'customerId' : null, input.partnerId ? 'partnerId' : null].filter(Boolean);
    if (holders.length !== 1) throw new AppError('VALIDATION_FAILED', 'A contract is held by a customer or a partner: give exactly one of customerId and partnerId', { fields: { customerId: 'exactly one of customerId, partnerId' } });
    const covers = [input.policyId ? 'policyId' : null, input.productGroupId ? 'productGroupId' : null].filter(Boolean);
    if (covers.length !== 1) throw new AppError('VALIDATION_FAILED', 'A contract covers a policy or a product group: give exactly one of policyId and productGroupId', { fields: { policyId: 'exactly one of policyId, productGroupId' } });
    const now = this.deps.clock.now();
    const endsAt = input.endsAt ? new Date(input.endsAt).toISOString() : null;
    if (endsAt !== null && Date.parse(endsAt) <= now.getTime()) throw new AppError('VALIDATION_FAILED', 'A contract ends in the future', { fields: { endsAt: 'must be in the future' } });
    // Read the references before the transaction (on SQLite a read outside an open transaction waits for it).
    if (input.customerId) await this.deps.customers.get(ctx, input.customerId);
    if (input.policyId) await this.deps.policies.get(ctx, input.policyId);
    // Unknown or invisible to the actor: 404 from their modules.
    if (input.partnerId) await this.deps.partners.get(ctx, input.partnerId);
    if (input.productGroupId) await this.deps.productGroups.get(ctx, input.productGroupId);
    const row: ContractRow = {
      id: newId('ctr'),
      customer_id: input.customerId ?? null,
      partner_id: input.partnerId ?? null,
      policy_id: input.policyId ?? null,
      product_group_id: input.productGroupId ?? null,
      unit: input.unit,
      quantity: input.quantity,
      used: 0,
      ends_at: endsAt,
      alerted_80_at: null,
      alerted_100_at: null,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      cancelled_at: null,
    };
    const contract = toContract(row, now);
    await this.deps.db.transaction().execute(async (trx) => {
      await insertContract(trx, row);
      await this.deps.events.record(trx, ctx, { action: 'contract.created', targetType: 'contract', targetId: row.id, customerId: row.customer_id, after: contract });
    });
    return contract;
  }

  async get(ctx: RequestContext, id: string): Promise<Contract> {
    const row = await findContractRow(this.deps.db, ctx.actor, id);
    if (!row) throw notFound('Contract', id);
    return toContract(row, this.deps.clock.now());
  }

  async list(ctx: RequestContext, filter: ContractFilter): Promise<Page<Contract>> {
    const now = this.deps.clock.now();
    const rows = await listContractRows(this.deps.db, ctx.actor, filter);
    return page(rows.map((row) => toContract(row, now)), filter.limit);
  }

  /**
   * The policies a license drawn from this contract may have, with their products' names: the policy it
   * covers, or every policy of its product group's products (for a partner, those of its own products).
   * The holder's admins read them here though they may not list policies: what they may issue is theirs to see.
   */
  async policies(ctx: RequestContext, id: string): Promise<ContractPolicy[]> {
    const contract = await this.get(ctx, id);
    let policies: Policy[];
    if (contract.policyId !== null) {
      policies = await this.deps.policies.listWhere(this.deps.db, { ids: [contract.policyId] });
    } else {
      const productIds = (await this.deps.productGroups.productsOf(this.deps.db, [contract.productGroupId!])).get(contract.productGroupId!) ?? [];
      const inScope = ctx.actor.scope.productIds;
      policies = await this.deps.policies.listWhere(this.deps.db, { productIds: inScope === undefined ? productIds : productIds.filter((p) => inScope.includes(p)) });
    }
    const products = await this.deps.products.labels(policies.map((p) => p.productId));
    return policies.map((policy) => ({
      id: policy.id,
      name: policy.name,
      kind: policy.kind,
      maxMachines: policy.maxMachines,
      productId: policy.productId,
      productName: products.get(policy.productId)?.name ?? policy.productId,
    }));
  }

  /**
   * Changes the quantity (never below what is drawn: 422 QUOTA_BELOW_USED, checked in the writing
   * statement, so a concurrent draw cannot slip between) or the end date. A quantity raised back below an
   * alert's share re-arms that alert.
   */
  async update(ctx: RequestContext, id: string, input: UpdateContractInput): Promise<Contract> {
    const now = this.deps.clock.now();
    const endsAt = input.endsAt === undefined ? undefined : input.endsAt === null ? null : new Date(input.endsAt).toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const beforeRow = await findContractRow(trx, ctx.actor, id);
      if (!beforeRow) throw notFound('Contract', id);
      if (beforeRow.cancelled_at !== null) throw new AppError('INVALID_TRANSITION', 'The contract is cancelled: it cannot change');
      if (input.quantity !== undefined && !(await setQuantity(trx, id, input.quantity, now.toISOString()))) {
        const current = (await findContractRow(trx, SYSTEM_ACTOR, id))!;
        throw new AppError('QUOTA_BELOW_USED', `${current.used} ${current.unit} are drawn already: the quantity cannot be less`, { used: current.used, fields: { quantity: `must be at least ${current.used}` } });
      }
      if (endsAt !== undefined) await updateContractRow(trx, id, { ends_at: endsAt, updated_at: now.toISOString() });
      let afterRow = (await findContractRow(trx, SYSTEM_ACTOR, id))!;
      const rearm: Partial<ContractRow> = {};
      if (afterRow.quantity === null || afterRow.used * 100 < afterRow.quantity * 80) rearm.alerted_80_at = null;
      if (afterRow.quantity === null || afterRow.used < afterRow.quantity) rearm.alerted_100_at = null;
      if ((rearm.alerted_80_at === null && afterRow.alerted_80_at !== null) || (rearm.alerted_100_at === null && afterRow.alerted_100_at !== null)) {
        await updateContractRow(trx, id, rearm);
        afterRow = { ...afterRow, ...rearm };
      }
      const before = toContract(beforeRow, now);
      const after = toContract(afterRow, now);
      await this.deps.events.record(trx, ctx, { action: 'contract.updated', targetType: 'contract', targetId: id, customerId: afterRow.customer_id, before, after });
      return after;
    });
  }

  /** Ends the contract now: no more draws; the licenses drawn stay as they are. */
  async cancel(ctx: RequestContext, id: string): Promise<Contract> {
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      const beforeRow = await findContractRow(trx, ctx.actor, id);
      if (!beforeRow) throw notFound('Contract', id);
      if (!(await cancelContractRow(trx, id, now.toISOString()))) throw new AppError('INVALID_TRANSITION', 'The contract is cancelled already');
      const after = toContract((await findContractRow(trx, SYSTEM_ACTOR, id))!, now);
      await this.deps.events.record(trx, ctx, { action: 'contract.cancelled', targetType: 'contract', targetId: id, customerId: beforeRow.customer_id, before: toContract(beforeRow, now), after });
      return after;
    });
  }

  /**
   * Draws `license` from the contract, inside the transaction that issues it (before the license row is
   * written): the contract must be one the actor sees, held by the license's customer (a partner's: one of
   * its customers), cover the license's policy (or its product, for a product group) and have room. The
   * room check and the increment are one conditional update, so concurrent draws never overspend. Then
   * the 80% / 100% alerts, each claimed once.
   */
  async draw(executor: Executor, ctx: RequestContext, contractId: string, license: LicenseRecord): Promise<void> {
    const now = this.deps.clock.now();
    const row = await findContractRow(executor, ctx.actor, contractId);
    if (!row) throw notFound('Contract', contractId);
    if (row.customer_id !== null && license.customerId !== row.customer_id) {
      throw new AppError('CONTRACT_MISMATCH', 'Licenses from this contract go to the customer that holds it', { fields: { customerId: `must be ${row.customer_id}` } });
    }
    // A partner's contract serves its own customers only.
    const partnerOwns = async (partnerId: string) =>
      license.customerId !== null && (await this.deps.customers.getWith(executor, { actor: SYSTEM_ACTOR }, license.customerId)).partnerId === partnerId;
    if (row.partner_id !== null && !(await partnerOwns(row.partner_id))) {
      throw new AppError('CONTRACT_MISMATCH', "Licenses from this partner's contract go to the partner's customers", { fields: { customerId: "must be one of the partner's customers" } });
    }
    const covered = row.policy_id !== null ? license.policyId === row.policy_id : await this.deps.productGroups.hasProductWith(executor, row.product_group_id!, license.productId);
    if (!covered) {
      throw new AppError('CONTRACT_MISMATCH', row.policy_id !== null ? 'The contract covers another policy' : "The contract's product group does not hold this policy's product", {
        fields: { policyId: 'is not covered by the contract' },
      });
    }
    let n = 1;
    if (row.unit === 'seats') {
      if (license.maxMachines === null || license.maxMachines < 1) {
        throw new AppError('CONTRACT_SEATS_REQUIRED', 'A seats contract draws the license’s seats: the license needs a seat limit (maxMachines of at least 1)', { fields: { maxMachines: 'must be at least 1' } });
      }
      n = license.maxMachines;
    }
    const status = contractStatus(row, now);
    if (status === 'cancelled' || status === 'ended') throw new AppError('CONTRACT_ENDED', `The contract ${status === 'cancelled' ? 'was cancelled' : 'has ended'}: no more licenses can be drawn from it`);
    const drawn = await drawQuota(executor, contractId, n, now.toISOString());
    if (!drawn) {
      const current = (await findContractRow(executor, SYSTEM_ACTOR, contractId))!;
      const currentStatus = contractStatus(current, now);
      if (currentStatus === 'cancelled' || currentStatus === 'ended') throw new AppError('CONTRACT_ENDED', 'The contract has ended: no more licenses can be drawn from it');
      const remaining = current.quantity === null ? null : current.quantity - current.used;
      throw new AppError('QUOTA_EXHAUSTED', `The contract's quota is used up: ${remaining} of ${current.quantity} ${current.unit} remain, this license needs ${n}`, {
        quantity: current.quantity,
        used: current.used,
        remaining,
        requested: n,
      });
    }
    await this.deps.events.record(executor, ctx, {
      action: 'contract.drawn',
      targetType: 'contract',
      targetId: contractId,
      customerId: row.customer_id,
      after: { licenseId: license.id, drawn: n, used: drawn.used, quantity: drawn.quantity, remaining: drawn.quantity === null ? null : drawn.quantity - drawn.used },
    });
    if (drawn.quantity === null) return;
    for (const level of ALERT_LEVELS) {
      if (drawn.used * 100 < drawn.quantity * level.percent) continue;
      if (!(await claimAlert(executor, contractId, level.column, now.toISOString()))) continue;
      await this.alert(executor, ctx, { ...row, used: drawn.used, quantity: drawn.quantity }, level);
    }
  }

  /**
   * One quota alert: its audit event, a mail to the staff alert recipients and one to the holder's admins,
   * queued in the draw's transaction. The claim of the alert column (same transaction) makes it once: no
   * dedupe key, so an alert re-armed by a raised quantity mails again.
   */
  private async alert(executor: Executor, ctx: RequestContext, row: ContractRow, level: (typeof ALERT_LEVELS)[number]): Promise<void> {
    const now = this.deps.clock.now();
    const contract = toContract(row, now);
    await this.deps.events.record(executor, ctx, { action: level.action, targetType: 'contract', targetId: row.id, customerId: row.customer_id, after: contract });
    const system: RequestContext = { actor: SYSTEM_ACTOR };
    const holder = row.customer_id !== null ? (await this.deps.customers.getWith(executor, system, row.customer_id)).name : `partner ${row.partner_id}`;
    const title = level.percent === 100 ? 'Contract used up' : `Contract ${level.percent}% used`;
    const message =
      level.percent === 100
        ? `All ${row.quantity} ${row.unit} of the contract are used: no more licenses can be drawn from it until its quantity is raised.`
        : `${row.used} of ${row.quantity} ${row.unit} of the contract are used; ${contract.remaining} remain.`;
    const data = { title, message, holder, contract: { id: row.id, unit: row.unit, quantity: row.quantity, used: row.used, remaining: contract.remaining, endsAt: contract.endsAt } };
    const { alertEmails } = await this.deps.settings.current(executor);
    if (alertEmails.length > 0) {
      await this.deps.mail.send(executor, {
        template: 'contract.quota',
        to: [...alertEmails],
        data: { ...data, url: `${this.deps.publicUrl}/console/contracts/${row.id}` },
        category: 'alerts',
        customerId: row.customer_id,
      });
    }
    const admins = row.customer_id !== null ? await this.deps.users.customerAdminEmails(executor, row.customer_id) : await this.deps.users.partnerAdminEmails(executor, row.partner_id!);
    if (admins.length > 0) {
      await this.deps.mail.send(executor, {
        template: 'contract.quota',
        to: admins,
        data: { ...data, url: `${this.deps.publicUrl}/portal` },
        category: 'alerts',
        customerId: row.customer_id,
      });
    }
  }
}
