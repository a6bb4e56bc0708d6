import { type Policy } from '../api/api.js';
import { type Contract } from '../api/partner.js';
import { quotaText } from '../ui/QuotaBar.js';
import { contractsFor, usePartner } from './partner-context.js';
import { contractSubject } from './PartnerHome.js';

/** The optional contract a new or converted license of `policy` draws from: the partner's live contracts covering it, with their quotas. */
export function ContractChoice({ contracts, policy }: { contracts: Contract[]; policy: Policy | undefined }) {
  const view = usePartner();
  return (
    <label>
      Contract <span className="hint">(optional: the license counts against it)</span>
      <select name="contractId" defaultValue="">
        <option value="">none</option>
        {contractsFor(contracts, policy, view).map((c) => (
          <option key={c.id} value={c.id}>
            {contractSubject(c, view)}: {quotaText(c)}
          </option>
        ))}
      </select>
    </label>
  );
}
