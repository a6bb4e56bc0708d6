import { useId, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { portalApi, type Contract } from '../api/portal.js';
import { useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui/ui.js';

/** What a refused draw means for the person asking, before the API's own words. */
function refusalOf(caught: unknown): string {
  if (caught instanceof ApiError && caught.code === 'QUOTA_EXHAUSTED') return `This contract is used up: no license can be drawn from it. Ask your vendor for more. ${messageOf(caught)}`;
  if (caught instanceof ApiError && caught.code === 'CONTRACT_ENDED') return `This contract has ended: no license can be drawn from it. Ask your vendor to renew it. ${messageOf(caught)}`;
  return messageOf(caught);
}

/** "1 of 2 licenses used" with a bar; an unlimited contract only counts. */
function QuotaBar({ contract }: { contract: Contract }) {
  const label = contract.quantity === null ? `${contract.used} ${contract.unit} used (unlimited)` : `${contract.used} of ${contract.quantity} ${contract.unit} used`;
  return (
    <div className="progress" data-testid="quota">
      {contract.quantity !== null ? <progress value={contract.used} max={contract.quantity} aria-label={label} /> : null}
      <span>{label}</span>
    </div>
  );
}

/** Draws a license for the organization from a contract on a policy (the license has the policy's terms). */
function CreateFromContract({ contract, customerId, onCreated }: { contract: Contract & { policyId: string }; customerId: string; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ id: string; name: string } | null>(null);
  const nameId = useId();
  async function create() {
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const license = await portalApi.createFromContract(contract, customerId, name.trim() || undefined);
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
      <label htmlFor={nameId}>License name (optional)</label>
      <input id={nameId} value={name} maxLength={200} onChange={(event) => setName(event.target.value)} />
      <button type="submit" className="primary" disabled={busy}>
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

/**
 * The organization's contracts (license packs, volume contracts) with what is used of each, for customer
 * admins; from a contract on a policy they create licenses themselves (the API draws them from it and
 * refuses once it is used up or ended).
 */
export function PortalContracts() {
  const { me } = useSession();
  const customerId = me?.actor.customerId ?? '';
  const mayCreate = me?.actor.permissions.includes('licenses:create') ?? false;
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
                <section key={contract.id} className="card" aria-label={`Contract of ${formatDate(contract.createdAt)}`} data-testid="contract">
                  <h2>
                    {contract.unit === 'licenses' ? 'License pack' : 'Seat contract'} of {formatDate(contract.createdAt)} <span className={`badge badge-${contract.status === 'active' ? 'active' : 'expired'}`}>{contract.status}</span>
                  </h2>
                  <QuotaBar contract={contract} />
                  <p>Ends: {formatDate(contract.endsAt, 'never')}</p>
                  {contract.policyId !== null && mayCreate ? (
                    <CreateFromContract contract={{ ...contract, policyId: contract.policyId }} customerId={customerId} onCreated={loaded.reload} />
                  ) : contract.policyId === null ? (
                    <p className="hint">This contract covers a product group: your vendor issues its licenses.</p>
                  ) : null}
                </section>
              ))}
            </>
          )
        }
      </Show>
    </section>
  );
}
