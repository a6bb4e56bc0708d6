import type { Executor } from '../../db/database.js';
import type { CreateCustomerInput, Customer, CustomersService } from '../customers/customers.service.js';
import type { RequestContext } from '../events/events.service.js';
import type { PasswordLink, PasswordLinksService } from '../passwords/password-links.service.js';
import type { User, UsersService } from '../users/users.service.js';

export interface OnboardingDeps {
  customers: CustomersService;
  users: UsersService;
  passwordLinks: PasswordLinksService;
}

export interface NewcomerInput {
  /** The buyer's or visitor's address, lower-cased. */
  email: string;
  /** The name of a new portal user. */
  name: string | null;
  /** The customer to create when none is found. */
  newCustomer: CreateCustomerInput;
  /**
   * Look for the customer through the organization of the customer user who has this e-mail first, then
   * by the customer's own e-mail (orders); false: by the customer's e-mail only (trial sign-ups).
   */
  viaUserOrganization: boolean;
}

/** The welcome part of a mail: the set-password link's URL for the template and its token, sealed as a secret. */
export interface Welcome {
  secrets: string[];
  data: { setPasswordUrl?: string };
}

/**
 * Onboarding a buyer or trial visitor, shared by orders and trial sign-ups, inside the caller's transaction:
 * the customer (found or created), a customer-admin portal user without a password when nobody has the
 * address, and the set-password link the welcome mail carries. Idempotency stays the caller's (its order or
 * trial row and the mail's dedupe key); a concurrent onboarding of the same address fails on the users'
 * unique e-mail, which the caller retries or refuses.
 */
export class OnboardingService {
  constructor(private readonly deps: OnboardingDeps) {}

  /**
   * The customer for `input.email` and its portal user: a new customer admin when nobody has the address,
   * the address's user when it belongs to that customer, else none (it is staff's, or another organization's).
   */
  async newcomer(executor: Executor, ctx: RequestContext, input: NewcomerInput): Promise<{ customer: Customer; user: User | null }> {
    const { customers, users } = this.deps;
    const existingUser = await users.findByEmail(executor, input.email);
    let customer: Customer | undefined;
    if (input.viaUserOrganization && existingUser?.kind === 'customer' && existingUser.customerId) {
      customer = await customers.getWith(executor, ctx, existingUser.customerId);
    }
    customer ??= await customers.findByEmail(executor, ctx, input.email);
    customer ??= await customers.createWith(executor, ctx, input.newCustomer);
    if (!existingUser) {
      const user = await users.createPortalUserWith(executor, ctx, { email: input.email, name: input.name, customerId: customer.id, role: 'customer-admin' });
      return { customer, user };
    }
    return { customer, user: existingUser.customerId === customer.id ? existingUser : null };
  }

  /** A set-password link for a portal user who has no password yet (and is enabled); null otherwise. */
  async setPasswordLink(executor: Executor, user: User | null): Promise<PasswordLink | null> {
    return user && !user.hasPassword && !user.disabled ? this.deps.passwordLinks.create(executor, user.id, 'set') : null;
  }

  /** What a welcome mail adds for `link`: the URL as `setPasswordUrl`, the token sealed as a secret. */
  welcome(link: PasswordLink | null): Welcome {
    return link ? { secrets: [link.token], data: { setPasswordUrl: link.url } } : { secrets: [], data: {} };
  }
}
