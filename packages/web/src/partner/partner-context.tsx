import { createContext, useContext, type ReactNode } from 'react';
import { api, ApiError, type Policy, type Product } from '../api/api.js';
import { partnerApi, type Contract, type Partner, type PartnerRight, type ProductGroup } from '../api/partner.js';
import { useSession } from '../session.js';
import { messageOf, Show, useLoad } from '../ui/ui.js';

/**
 * What the partner face knows of the signed-in partner: its grants (`getPartner`: its own partner only), the
 * product groups they name, the products and policies it sees (the server narrows them to its groups), and
 * from those its rights per product. They only decide which buttons show: the API decides every request.
 */
export interface PartnerView {
  partner: Partner;
  groups: ProductGroup[];
  products: Product[];
  policies: Policy[];
  /** The rights the partner holds on a product: the union over the groups that hold it. */
  rightsOn(productId: string): ReadonlySet<PartnerRight>;
  /** The products it holds `right` on. */
  productsWith(right: PartnerRight): Product[];
  /** Whether it holds `right` on some product. */
  holds(right: PartnerRight): boolean;
}

const PartnerContext = createContext<PartnerView | null>(null);

export function partnerView(partner: Partner, groups: ProductGroup[], products: Product[], policies: Policy[]): PartnerView {
  const rights = new Map<string, Set<PartnerRight>>();
  for (const grant of partner.grants) {
    const group = groups.find((g) => g.id === grant.productGroupId);
    for (const productId of group?.productIds ?? []) {
      const set = rights.get(productId) ?? new Set<PartnerRight>();
      for (const right of grant.rights) set.add(right);
      rights.set(productId, set);
    }
  }
  const none = new Set<PartnerRight>();
  const rightsOn = (productId: string) => rights.get(productId) ?? none;
  const productsWith = (right: PartnerRight) => products.filter((p) => rightsOn(p.id).has(right));
  return { partner, groups, products, policies, rightsOn, productsWith, holds: (right) => productsWith(right).length > 0 };
}

/** Loads the partner's view once for the whole face; its pages read it with `usePartner`. */
export function PartnerProvider({ children }: { children: ReactNode }) {
  const { me } = useSession();
  const partnerId = me?.actor.partnerId ?? '';
  const loaded = useLoad(async () => {
    const [partner, groups, products, policies] = await Promise.all([partnerApi.getPartner(partnerId), partnerApi.listProductGroups(), api.listProducts(), api.listPolicies()]);
    return partnerView(partner, groups, products, policies);
  }, partnerId);
  return <Show loaded={loaded}>{(view) => <PartnerContext.Provider value={view}>{children}</PartnerContext.Provider>}</Show>;
}

export function usePartner(): PartnerView {
  const view = useContext(PartnerContext);
  if (!view) throw new Error('usePartner outside PartnerProvider');
  return view;
}

/** A right as people read it. */
export const RIGHT_LABELS: Record<PartnerRight, string> = {
  'trials:create': 'create and extend trials',
  'licenses:create': 'create licenses',
  'licenses:extend': 'extend and renew licenses',
  'licenses:suspend': 'suspend and reinstate licenses',
  'licenses:revoke': 'revoke licenses',
  'subscriptions:cancel': 'cancel subscriptions',
  'customers:create': 'create customers',
  downloads: 'download releases',
};

/**
 * The message for a refused request: a used-up or ended contract in plain words, else the API's own message
 * (a 403 names the missing right).
 */
export function partnerMessage(error: unknown): string {
  if (error instanceof ApiError && error.code === 'QUOTA_EXHAUSTED') {
    return 'This contract has no licenses left: ask the vendor to extend it, or choose another contract (or none).';
  }
  if (error instanceof ApiError && error.code === 'CONTRACT_ENDED') return 'This contract has ended or was cancelled: choose another contract (or none).';
  return messageOf(error);
}

/** The contracts a new license of `policy` may draw from: live ones covering the policy, or its product's group. */
export function contractsFor(contracts: Contract[], policy: Policy | undefined, view: PartnerView): Contract[] {
  if (!policy) return [];
  return contracts.filter(
    (c) =>
      c.status !== 'cancelled' &&
      c.status !== 'ended' &&
      (c.policyId === policy.id || (c.productGroupId !== null && (view.groups.find((g) => g.id === c.productGroupId)?.productIds.includes(policy.productId) ?? false))),
  );
}
