import { useId, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { portalApi, type Contract, type ContractPolicy } from '../api/portal.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui/ui.js';
import { QuotaBar } from '../ui/QuotaBar.js';

/** What a refused draw means for the person asking, before the API's own words. */
function refusalOf(caught: unknown): string {
  if (caught instanceof ApiError && caught.code === 'QUOTA_EXHAUSTED') return `This contract is used up: no license can be drawn from it. Ask your vendor for more. ${messageOf(caught)}`;
  if (caught instanceof ApiError && caught.code === 'CONTRACT_ENDED') return `This contract has ended: no license can be drawn from it. Ask your vendor to renew it. ${messageOf(caught)}`;
  return messageOf(caught);
}

/** "Product — Policy" of a policy a contract covers. */
const labelOf = (policy: ContractPolicy) => `${policy.productName} — ${policy.name}`;

/**
 * Draws a license for the organization from a contract, on a policy it covers (the license has the
 * policy's terms); a contract on a product group offers each policy of the group's products.
 */
function CreateFromContract({ contract, policies, customerId, onCreated }: { contract: Contract; policies: ContractPolicy[]; customerId: string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [policyId, setPolicyId] = useState(policies[0]?.id ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; name: string } | null>(null);
  const nameId = useId();
  const policyFieldId = useId();
  async function create() {
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const license = await portalApi.createFromContract(contract.id, policyId, customerId, name.trim() || undefined);
      setCreated({ id: license.id, name: license.name });
      setName('');
      onCreated();
    } catch (caught) {
      setError(refusalOf(caught));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      className="inline-form"
      aria-label="Create license"
      onSubmit={(event) => {
        event.preventDefault();
        void create();
      }}
    >
      {policies.length > 1 ? (
        <>
          <label htmlFor={policyFieldId}>Policy</label>
          <select id={policyFieldId} value={policyId} onChange={(event) => setPolicyId(event.target.value)}>
            {policies.map((policy) => (
              <option key={policy.id} value={policy.id}>
                {labelOf(policy)}
              </option>
            ))}
          </select>
        </>
      ) : null}
      <label htmlFor={nameId}>License name (optional)</label>
      <input id={nameId} value={name} maxLength={200} onChange={(event) => setName(event.target.value)} />
      <button type="submit" className="primary" disabled={busy || policyId === ''}>
        {busy ? 'Creating…' : 'Create license'}
      </button>
      {created ? (
        <p className="success" role="status">
          License <Link to={`/portal/licenses/${created.id}`}>{created.name}</Link> created.
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}

/** One contract: what it covers, what is used, and (for those who may) licenses drawn from it. */
function ContractCard({ contract, customerId, mayCreate, onCreated }: { contract: Contract; customerId: string; mayCreate: boolean; onCreated: () => void }) {
  const policies = useLoad(() => portalApi.contractPolicies(contract.id), `contract-policies-${contract.id}`);
  return (
    <section className="card" aria-label={`Contract of ${formatDate(contract.createdAt)}`} data-testid="contract">
      <h2>
        {contract.unit === 'licenses' ? 'License pack' : 'Seat contract'} of {formatDate(contract.createdAt)} <span className={`badge badge-${contract.status === 'active' ? 'active' : 'expired'}`}>{contract.status}</span>
      </h2>
      <QuotaBar quota={contract} />
      <p>Ends: {formatDate(contract.endsAt, 'never')}</p>
      <Show loaded={policies}>
        {(covered) => (
          <>
            <p>
              Covers: {covered.length === 0 ? 'no policy yet (its product group is empty)' : covered.map(labelOf).join(', ')}
            </p>
            {mayCreate && covered.length > 0 ? <CreateFromContract contract={contract} policies={covered} customerId={customerId} onCreated={onCreated} /> : null}
          </>
        )}
      </Show>
    </section>
  );
}

/**
 * The organization's contracts (license packs, volume contracts) with what is used of each, for customer
 * admins; from a contract they create licenses themselves, on a policy it covers (the API draws them from it and
 * refuses once it is used up or ended).
 */
export function PortalContracts() {
  const { me } = useSession();
  const customerId = me?.actor.customerId ?? '';
  const mayCreate = can(me, 'licenses:create');
  const loaded = useLoad(() => portalApi.listContracts(customerId), `contracts-${customerId}`);
  return (
    <section aria-labelledby="contracts-title">
      <h1 id="contracts-title">Contracts</h1>
      <p className="hint">Your organization’s license packs and volume contracts, and what is used of each.</p>
      <Show loaded={loaded}>
        {(contracts) =>
          contracts.length === 0 ? (
            <Empty>Your organization has no contracts.</Empty>
          ) : (
            <>
              {contracts.map((contract) => (
                <ContractCard key={contract.id} contract={contract} customerId={customerId} mayCreate={mayCreate} onCreated={loaded.reload} />
              ))}
            </>
          )
        }
      </Show>
    </section>
  );
}
