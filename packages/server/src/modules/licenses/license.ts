import type { LicenseStatus } from './license-status.js';
import type { Billing, LicenseRecord, LicenseType } from './licenses.repository.js';
import type { Meter } from '../policies/meters.js';
import type { Subscription, SubscriptionOverrides } from '../policies/subscription.js';
import type { Renewer } from '../policies/subscription-terms.js';

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
  /** Draw the license from this contract (license pack, volume contract): see ContractDrawer. */
  contractId?: string;
}

/** What an update may change of a subscription (alignment and term: change the policy instead). */
export interface SubscriptionUpdate {
  price?: number | null;
  currency?: string | null;
  cancellationNoticeDays?: number;
  renewedBy?: Renewer;
}

export type UpdateLicenseInput = Partial<Omit<CreateLicenseInput, 'policyId' | 'subscription' | 'contractId'>> & { subscription?: SubscriptionUpdate };

/** Upgrades: `changePolicy` moves a license to another policy of its product. */
export interface ChangePolicyInput {
  policyId: string;
  /** true: the expiry stays; false: a new term starts now (perpetual policies: no expiry). */
  keepExpiry: boolean;
}
