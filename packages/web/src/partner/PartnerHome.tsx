import { partnerApi, type Contract } from '../api/partner.js';
import { Empty, formatDate, Show, useLoad } from '../ui/ui.js';
import { QuotaBar } from '../ui/QuotaBar.js';
import { RIGHT_LABELS, usePartner, type PartnerView } from './partner-context.js';

/** What a contract covers, in words: its policy (with the product) or its product group. */
export function contractSubject(contract: Contract, view: PartnerView): string {
  if (contract.policyId !== null) {
    const policy = view.policies.find((p) => p.id === contract.policyId);
    const product = view.products.find((p) => p.id === policy?.productId);
    return policy ? `${product?.name ?? 'Product'} · ${policy.name}` : 'A policy';
  }
  return `Group ${view.groups.find((g) => g.id === contract.productGroupId)?.name ?? contract.productGroupId ?? ''}`;
}

/** The partner's home: its contracts with their quotas, its product groups and the rights it holds on each. */
export function PartnerHome() {
  const view = usePartner();
  const contracts = useLoad(() => partnerApi.listContracts(), 'contracts');
  return (
    <section aria-labelledby="partner-home-title">
      <h1 id="partner-home-title">{view.partner.name}</h1>
      <section aria-labelledby="contracts-title">
        <h2 id="contracts-title">Contracts</h2>
        <Show loaded={contracts}>
          {(list) =>
            list.length === 0 ? (
              <Empty>Your partner holds no contract: licenses you create are billed as agreed with the vendor.</Empty>
            ) : (
              <ul className="cards" aria-label="Contracts">
                {list.map((contract) => {
                  const subject = contractSubject(contract, view);
                  return (
                    <li key={contract.id} className="card">
                      <h3>{subject}</h3>
                      <QuotaBar quota={contract} label={`Quota of ${subject}`} />
                      <p className="hint">
                        {contract.status} · {contract.endsAt ? `ends ${formatDate(contract.endsAt)}` : 'no end date'}
                        {contract.remaining !== null ? ` · ${contract.remaining} left` : ''}
                      </p>
                    </li>
                  );
                })}
              </ul>
            )
          }
        </Show>
      </section>
      <section aria-labelledby="groups-title">
        <h2 id="groups-title">Product groups and rights</h2>
        {view.partner.grants.length === 0 ? (
          <Empty>Your partner holds no rights yet: ask the vendor.</Empty>
        ) : (
          <ul className="cards" aria-label="Product groups">
            {view.partner.grants.map((grant) => {
              const group = view.groups.find((g) => g.id === grant.productGroupId);
              const products = view.products.filter((p) => group?.productIds.includes(p.id));
              return (
                <li key={grant.productGroupId} className="card" data-testid={`group-${grant.productGroupId}`}>
                  <h3>{group?.name ?? grant.productGroupId}</h3>
                  <p>Products: {products.length === 0 ? 'none yet' : products.map((p) => p.name).join(', ')}</p>
                  <p>You may: {grant.rights.map((right) => RIGHT_LABELS[right]).join(', ')}.</p>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </section>
  );
}
