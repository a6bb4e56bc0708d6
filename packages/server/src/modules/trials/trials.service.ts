import type { Keyring } from '../../crypto/keyring.js';
import type { Db, Executor } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { assertPartnerRight, type Actor } from '../../http/access.js';
import { AppError } from '../../http/errors.js';
import { DAY_MS, type Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { page, type Page } from '../../lib/pagination.js';
import type { Customer, CustomersService } from '../customers/customers.service.js';
import type { RequestContext } from '../events/events.service.js';
import type { ActivationCheck } from '../machines/seats.service.js';
import type { License, LicensesService } from '../licenses/licenses.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { OnboardingService } from '../onboarding/onboarding.service.js';
import type { PoliciesService, Policy } from '../policies/policies.service.js';
import type { Product, ProductsService } from '../products/products.service.js';
import type { User } from '../users/users.service.js';
import type { PasswordLink } from '../passwords/password-links.service.js';
import {
  addTrialDays,
  bindTrialToMachine,
  findTrialByLicense,
  insertTrial,
  listTrialRows,
  markConverted,
  otherTrialOnMachine,
  toTrial,
  trialUsed,
  type Trial,
  type TrialFilter,
} from './trials.repository.js';
import type { ModuleWiring } from '../../wiring.js';

export type { Trial, TrialFilter } from './trials.repository.js';

export interface CreateTrialInput {
  productId: string;
  /** The customer to issue it to; or `email` (found, or created as a new customer); neither: no customer. */
  customerId?: string;
  email?: string;
  name?: string;
  /** One of the product's trialDurations; default its trialPreset. */
  days?: number;
  /** A trial policy of the product; default the product's trial policy. */
  policyId?: string;
  /** Mail the key to the customer (trial.started); default true. */
  sendEmail?: boolean;
}

export interface SignUpInput {
  /** The product's id or code. */
  product: string;
  email: string;
  name?: string;
  /** The machine the trial is for: one trial per machine and product. */
  fingerprint?: string;
}

export interface ConvertTrialInput {
  /** A paid (non-trial) policy of the same product. */
  policyId: string;
  /** true: keep the trial's expiry; default false: the paid term starts now. */
  keepExpiry?: boolean;
  /** Draw the paid license from this contract (the quota counts it, as for a license issued from it). */
  contractId?: string;
}

/** Who acts in a public sign-up: the system, on behalf of an anonymous visitor. */
const SIGNUP_ACTOR: Actor = { type: 'system', id: null, role: 'owner', scope: {}, label: 'public trial sign-up' };

export interface TrialsDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  products: ProductsService;
  policies: PoliciesService;
  customers: CustomersService;
  licenses: LicensesService;
  mail: MailService;
  /** A sign-up's customer, portal user and set-password link. */
  onboarding: OnboardingService;
}

/**
 * Trials: per product a set of allowed lengths and a preset; staff issue (one click) and extend them,
 * visitors sign up by e-mail (the key is e-mailed with a link to set a portal password), and a trial
 * becomes a paid license by moving to a paid policy, keeping its key. A public sign-up gets one trial per
 * e-mail address and per machine and product (the `trials` table's unique indexes hold under concurrent
 * sign-ups), and a signed-up trial key activates on a machine that had no other trial of the product.
 */
export class TrialsService {
  constructor(private readonly deps: TrialsDeps) {}

  private fingerprintDigest(productId: string, fingerprint: string): string {
    return this.deps.keyring.digest('trial-fingerprint', `${productId}\u0000${fingerprint}`);
  }

  /** The trial policy of a product: the one named, the product's trialPolicyId, or its only trial policy. */
  private async trialPolicy(ctx: RequestContext, product: Product, policyId?: string): Promise<Policy> {
    const id = policyId ?? product.trialPolicyId;
    if (id) {
      const policy = await this.deps.policies.get(ctx, id);
      if (policy.productId !== product.id || policy.kind !== 'trial') {
        throw new AppError('TRIAL_NOT_CONFIGURED', `Policy ${id} is not a trial policy of ${product.code}`, { fields: { policyId: 'must be a trial policy of the product' } });
      }
      return policy;
    }
    const trialPolicies = (await this.deps.policies.list(ctx, { productId: product.id, limit: 100 })).data.filter((p) => p.kind === 'trial');
    if (trialPolicies.length !== 1) {
      throw new AppError(
        'TRIAL_NOT_CONFIGURED',
        trialPolicies.length === 0
          ? `${product.name} has no trial policy: create a policy of kind trial`
          : `${product.name} has ${trialPolicies.length} trial policies: set the product's trialPolicyId`,
      );
    }
    return trialPolicies[0]!;
  }

  private trialDays(product: Product, days: number | undefined): number {
    const chosen = days ?? product.trialPreset;
    if (!product.trialDurations.includes(chosen)) {
      throw new AppError('TRIAL_DURATION_NOT_ALLOWED', `${chosen} days is not a trial length of ${product.name}; allowed: ${product.trialDurations.join(', ')}`, {
        fields: { days: `must be one of ${product.trialDurations.join(', ')}` },
        allowed: product.trialDurations,
      });
    }
    return chosen;
  }

  private async sendStarted(
    executor: Executor,
    refs: { product: Product; customer: Customer; email: string; user: User | null; link: PasswordLink | null },
    issued: { license: License; key: string },
    days: number,
  ): Promise<void> {
    const welcome = this.deps.onboarding.welcome(refs.link);
    await this.deps.mail.send(executor, {
      template: 'trial.started',
      to: refs.email,
      category: 'essential',
      customerId: refs.customer.id,
      userId: refs.user?.id ?? null,
      dedupeKey: `trial:${issued.license.id}`,
      secrets: welcome.secrets,
      data: {
        customer: { name: refs.customer.name, email: refs.customer.email },
        product: { name: refs.product.name, code: refs.product.code },
        license: { id: issued.license.id, name: issued.license.name, key: issued.key, expiresAt: issued.license.expiresAt },
        trialDays: days,
        ...welcome.data,
      },
    });
  }

  /**
   * Staff one-click trial: a trial license for a customer (or an e-mail address: the customer is found or
   * created), of a preset length; the key is in the answer and, by default, mailed to the customer.
   */
  async create(ctx: RequestContext, input: CreateTrialInput): Promise<{ license: License; key: string; trial: Trial }> {
    if (input.customerId !== undefined && input.email !== undefined) {
      throw new AppError('VALIDATION_FAILED', 'Name the customer by customerId or by email, not both', { fields: { email: 'must be absent when customerId is given' } });
    }
    const product = await this.deps.products.get(ctx, input.productId);
    assertPartnerRight(ctx.actor, product.id, 'trials:create');
    const policy = await this.trialPolicy(ctx, product, input.policyId);
    const days = this.trialDays(product, input.days);
    const email = input.email?.trim().toLowerCase();
    let customer: Customer | null | undefined = input.customerId
      ? await this.deps.customers.get(ctx, input.customerId)
      : email
        ? await this.deps.customers.findByEmail(this.deps.db, ctx, email)
        : null;
    const now = this.deps.clock.now();
    return this.deps.db.transaction().execute(async (trx) => {
      // An address nobody has yet becomes a customer; without customerId or email the trial has no customer.
      if (customer === undefined) customer = await this.deps.customers.createWith(trx, ctx, { name: input.name ?? email!, email: email! });
      const issued = await this.deps.licenses.createWith(
        trx,
        ctx,
        { policyId: policy.id, customerId: customer?.id ?? null, type: 'trial', startsAt: now.toISOString(), expiresAt: new Date(now.getTime() + days * DAY_MS).toISOString() },
        { policy, product, customer },
      );
      const row = {
        id: newId('trl'),
        product_id: product.id,
        license_id: issued.license.id,
        customer_id: customer?.id ?? null,
        email: customer?.email ?? null,
        fingerprint_digest: null,
        source: 'staff',
        days,
        ip: ctx.ip ?? null,
        converted_at: null,
        converted_policy_id: null,
        created_at: now.toISOString(),
      };
      await insertTrial(trx, row);
      if (customer && input.sendEmail !== false) await this.sendStarted(trx, { product, customer, email: customer.email, user: null, link: null }, issued, days);
      return { ...issued, trial: toTrial(row) };
    });
  }

  /**
   * Public sign-up (POST /v1/trials): the customer is found by e-mail or created, with a customer-admin
   * portal user without a password when the address has none; the trial key goes out by mail with a link
   * to set the password. The answer never contains the key, and reads the same whether or not the address
   * was known; only a second trial for the same address or machine is refused (TRIAL_ALREADY_USED).
   */
  async signUp(input: SignUpInput, meta: { ip?: string; requestId?: string }): Promise<{ product: string; days: number; email: string }> {
    const ctx: RequestContext = { actor: SIGNUP_ACTOR, ...(meta.ip ? { ip: meta.ip } : {}), ...(meta.requestId ? { requestId: meta.requestId } : {}) };
    const product = await this.deps.products.get(ctx, input.product);
    if (!product.publicTrials) throw new AppError('TRIALS_NOT_OFFERED', `${product.name} has no public trial sign-up`);
    const policy = await this.trialPolicy(ctx, product);
    const days = this.trialDays(product, undefined);
    const email = input.email.trim().toLowerCase();
    const fingerprintDigest = input.fingerprint ? this.fingerprintDigest(product.id, input.fingerprint) : null;
    const used = await trialUsed(this.deps.db, product.id, { email, fingerprintDigest });
    if (used) throw trialAlreadyUsed(product, used);
    const now = this.deps.clock.now();
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        const { customer, user } = await this.deps.onboarding.newcomer(trx, ctx, {
          email,
          name: input.name ?? null,
          newCustomer: { name: input.name?.trim() || email, email },
          viaUserOrganization: false,
        });
        // A portal login for the address: a new customer admin, or the address's own user if it has no password yet.
        const link = await this.deps.onboarding.setPasswordLink(trx, user);
        const issued = await this.deps.licenses.createWith(
          trx,
          ctx,
          { policyId: policy.id, customerId: customer.id, type: 'trial', startsAt: now.toISOString(), expiresAt: new Date(now.getTime() + days * DAY_MS).toISOString() },
          { policy, product, customer },
        );
        await insertTrial(trx, {
          id: newId('trl'),
          product_id: product.id,
          license_id: issued.license.id,
          customer_id: customer.id,
          email,
          fingerprint_digest: fingerprintDigest,
          source: 'signup',
          days,
          ip: meta.ip ?? null,
          converted_at: null,
          converted_policy_id: null,
          created_at: now.toISOString(),
        });
        await this.sendStarted(trx, { product, customer, email, user: link ? user : null, link }, issued, days);
      });
    } catch (error) {
      // A concurrent sign-up for the same address or machine won the unique index.
      if (isUniqueViolation(error)) throw trialAlreadyUsed(product, 'email');
      throw error;
    }
    return { product: product.code, days, email };
  }

  private async trialOf(ctx: RequestContext, licenseId: string): Promise<{ license: License; product: Product }> {
    const license = await this.deps.licenses.get(ctx, licenseId);
    if (license.type !== 'trial') throw new AppError('NOT_A_TRIAL', 'The license is not a trial');
    return { license, product: await this.deps.products.get(ctx, license.productId) };
  }

  /** Staff one-click extension by one of the product's trial lengths (default its preset). */
  async extend(ctx: RequestContext, licenseId: string, days?: number): Promise<License> {
    const { product } = await this.trialOf(ctx, licenseId);
    const chosen = this.trialDays(product, days);
    return this.deps.licenses.extend(ctx, licenseId, chosen, { action: 'trial.extended', right: 'trials:create', also: (trx) => addTrialDays(trx, licenseId, chosen) });
  }

  /**
   * A trial becomes a paid license: it moves to a paid policy of its product (its terms, a new term from
   * now unless keepExpiry) and keeps its key, customer and history; with `contractId` it is drawn from that
   * contract in the same transaction (a refused draw leaves the trial as it was). Recorded as `trial.converted`.
   */
  async convert(ctx: RequestContext, licenseId: string, input: ConvertTrialInput): Promise<License> {
    await this.trialOf(ctx, licenseId);
    const policy = await this.deps.policies.get(ctx, input.policyId);
    if (policy.kind === 'trial') throw new AppError('VALIDATION_FAILED', 'Convert to a paid policy, not another trial policy', { fields: { policyId: 'must not be a trial policy' } });
    const now = this.deps.clock.now().toISOString();
    return this.deps.licenses.changePolicyWith(undefined, ctx, licenseId, { policyId: policy.id, keepExpiry: input.keepExpiry ?? false, action: 'trial.converted', right: ['trials:create', 'licenses:create'], ...(input.contractId ? { contractId: input.contractId } : {}) }, { policy }, (trx) =>
      markConverted(trx, licenseId, policy.id, now),
    );
  }

  async list(ctx: RequestContext, filter: TrialFilter): Promise<Page<Trial>> {
    return page(await listTrialRows(this.deps.db, ctx.actor, filter), filter.limit);
  }

  /** Trial keys add a rule to every activation. */
  wiring(): ModuleWiring {
    return { activationChecks: [this.activationCheck] };
  }

  /**
   * For SeatsService.addActivationCheck: a signed-up trial key activates only on a machine that had no
   * other trial of the product, and binds itself to the first machine it activates.
   */
  readonly activationCheck: ActivationCheck = async (executor, { license, fingerprint }) => {
    if (license.type !== 'trial') return;
    const row = await findTrialByLicense(executor, license.id);
    if (!row || row.source !== 'signup') return;
    const digest = this.fingerprintDigest(license.productId, fingerprint);
    if (await otherTrialOnMachine(executor, license.productId, license.id, digest)) {
      throw new AppError('TRIAL_ALREADY_USED', 'This machine already had a trial of this product', { reason: 'machine' });
    }
    await bindTrialToMachine(executor, license.id, digest);
  };
}

function trialAlreadyUsed(product: Product, reason: 'email' | 'machine'): AppError {
  return new AppError(
    'TRIAL_ALREADY_USED',
    reason === 'email' ? `This e-mail address already had a trial of ${product.name}` : `This machine already had a trial of ${product.name}`,
    { reason },
  );
}

