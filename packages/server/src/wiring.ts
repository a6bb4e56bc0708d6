import Type, { type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { CustomersService, CustomerUseCheck } from './modules/customers/customers.service.js';
import type { CustomerGroupsService, GroupDeleteStep } from './modules/customer-groups/customer-groups.service.js';
import type { EventListener, EventNamer, EventsService, PartnerCustomers } from './modules/events/events.service.js';

import type { ContractDrawer, LicensesService, SeatCounter } from './modules/licenses/licenses.service.js';
import type { ActivationCheck, SeatsService } from './modules/machines/seats.service.js';
import type { NoticeSource, NoticesService } from './modules/notifications/notices.service.js';
import type { PoliciesService, PolicyUseCheck } from './modules/policies/policies.service.js';
import type { LicensedProducts, ProductGuard, ProductsService } from './modules/products/products.service.js';
import type { ProductGroupsService, ProductGroupUseCheck } from './modules/product-groups/product-groups.service.js';
import type { ReleaseDeleteStep, ReleasesService } from './modules/releases/releases.service.js';
import { PermanentFailure, type JobDefinition, type Worker } from './modules/jobs/worker.js';

/**
 * A job a module declares: its type, the payload it accepts and, for recurring upkeep, a cron schedule.
 * A scheduled run gets `{ slot }` as its payload, so a schema of a scheduled job must accept that too.
 */
export interface JobSpec<P = any> extends JobDefinition<P> {
  /** The payload's schema: a job whose payload does not match fails at once, without running. */
  payload?: TSchema;
  /** Five-field cron (UTC): the job is also enqueued at each slot, under a schedule of the same name. */
  cron?: string;
}

/** The payload of a scheduled run. */
export const SlotPayload = Type.Object({ slot: Type.String() });

/**
 * What a module plugs into the others, declared by the module (usually its service's `wiring()`) instead
 * of being registered by hand in `services.ts`.
 */
export interface ModuleWiring {
  jobs?: JobSpec[];
  /** Called for every audit event inside the recording transaction (see EventsService.onRecord). */
  listeners?: EventListener[];
  /** How the module's records are named in event lists: record type → namer. */
  namers?: Record<string, EventNamer>;
  /** Extra rules an activation must pass (see SeatsService.addActivationCheck). */
  activationChecks?: ActivationCheck[];
  /** Extra notices for the in-app notices feed. */
  noticeSources?: NoticeSource[];
  /** Rules of another module a product change or deletion must pass (see ProductsService.addGuard). */
  productGuards?: ProductGuard[];
  /** What goes with a deleted draft release (see ReleasesService.onDelete). */
  releaseDeleteSteps?: ReleaseDeleteStep[];
  /** Records that keep a customer from being deleted (see CustomersService.addUseCheck). */
  customerUses?: CustomerUseCheck[];
  /** Records that keep a policy from being deleted (see PoliciesService.addUseCheck). */
  policyUses?: PolicyUseCheck[];
  /** Records that keep a product group from being deleted (see ProductGroupsService.addUseCheck). */
  productGroupUses?: ProductGroupUseCheck[];
  /** The products a customer licenses, which its product scope composes (see ProductsService.setLicensedProducts). */
  licensedProducts?: LicensedProducts;
  /** Live seats per license, for the licenses module's reads (see LicensesService.useSeatCounter). */
  seatCounts?: SeatCounter;
  /** What goes with a deleted customer group, e.g. its tickets back to the organization (see CustomerGroupsService.onDelete). */
  customerGroupDeleteSteps?: GroupDeleteStep[];
  /** Draws licenses from contracts as they are issued (see LicensesService.useContractDrawer). */
  contractDrawer?: ContractDrawer;
  /** A partner's customers as a subquery, for its event list (see EventsService.usePartnerCustomers). */
  partnerCustomers?: PartnerCustomers;
}

export interface WiringTargets {
  worker: Worker;
  events: EventsService;
  seats: SeatsService;
  notices: NoticesService;
  products: ProductsService;
  releases: ReleasesService;
  customers: CustomersService;
  policies: PoliciesService;
  licenses: LicensesService;
  customerGroups: CustomerGroupsService;
  productGroups: ProductGroupsService;
}

/** The one registry: installs every module's jobs, schedules, listeners and hooks. */
export function installWiring(targets: WiringTargets, modules: ModuleWiring[]): void {
  for (const module of modules) {
    installJobs(targets.worker, module);
    for (const listener of module.listeners ?? []) targets.events.onRecord(listener);
    for (const [type, namer] of Object.entries(module.namers ?? {})) targets.events.addNamer(type, namer);
    for (const check of module.activationChecks ?? []) targets.seats.addActivationCheck(check);
    for (const source of module.noticeSources ?? []) targets.notices.addSource(source);
    for (const guard of module.productGuards ?? []) targets.products.addGuard(guard);
    for (const step of module.releaseDeleteSteps ?? []) targets.releases.onDelete(step);
    for (const check of module.customerUses ?? []) targets.customers.addUseCheck(check);
    for (const check of module.policyUses ?? []) targets.policies.addUseCheck(check);
    for (const check of module.productGroupUses ?? []) targets.productGroups.addUseCheck(check);
    if (module.licensedProducts) targets.products.setLicensedProducts(module.licensedProducts);
    if (module.seatCounts) targets.licenses.useSeatCounter(module.seatCounts);
    for (const step of module.customerGroupDeleteSteps ?? []) targets.customerGroups.onDelete(step);
    if (module.contractDrawer) targets.licenses.useContractDrawer(module.contractDrawer);
    if (module.partnerCustomers) targets.events.usePartnerCustomers(module.partnerCustomers);
  }
}

/** Defines a module's jobs (and schedules) on a worker: the registry's part, also for a test's second worker. */
export function installJobs(worker: Worker, module: ModuleWiring): void {
  for (const job of module.jobs ?? []) {
    worker.define(withPayloadCheck(job));
    if (job.cron) worker.schedule({ name: job.type, cron: job.cron, jobType: job.type });
  }
}

function withPayloadCheck<P>(job: JobSpec<P>): JobDefinition<P> {
  const { payload: schema, cron: _cron, ...definition } = job;
  if (!schema) return definition;
  return {
    ...definition,
    run: (payload, context) => {
      if (!Value.Check(schema, payload)) {
        const first = Value.Errors(schema, payload)[0];
        throw new PermanentFailure(`Job ${job.type}: the payload does not match its schema${first ? ` (${first.instancePath || '/'} ${first.message})` : ''}`);
      }
      return definition.run(payload, context);
    },
  };
}
