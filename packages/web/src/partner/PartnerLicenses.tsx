import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, LICENSE_STATUSES, type Customer, type LicenseStatus } from '../api/api.js';
import { partnerApi, type Contract } from '../api/partner.js';
import { Empty, ErrorMessage, FilterSelect, formatDate, PagedTable, seats, Show, StatusBadge, useLoad, usePagedList } from '../ui/ui.js';
import { partnerMessage, usePartner } from './partner-context.js';
import { ContractChoice } from './ContractChoice.js';
import { useUrlFilters } from '../ui/filters.js';
import { ChoiceSelect } from '../ui/ChoiceSelect.js';

/** A new license for one of the partner's customers, on a policy of a product it may license, optionally from a contract. */
function NewLicense({ customers, contracts, customerId, onCreated }: { customers: Customer[]; contracts: Contract[]; customerId: string; onCreated: (id: string, key: string) => void }) {
  const view = usePartner();
  const products = view.productsWith('licenses:create').map((p) => p.id);
  const policies = view.policies.filter((p) => p.kind !== 'trial' && products.includes(p.productId));
  const [policyId, setPolicyId] = useState(policies.length === 1 ? policies[0]!.id : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const contractId = String(form.get('contractId') ?? '');
    const name = String(form.get('name') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const license = await api.createLicense({ policyId, customerId: String(form.get('customerId')), ...(contractId ? { contractId } : {}), ...(name ? { name } : {}) });
      onCreated(license.id, license.key);
    } catch (caught) {
      setError(partnerMessage(caught));
      setBusy(false);
    }
  }

  if (policies.length === 0) return <Empty>Your partner may not create licenses of any product.</Empty>;
  if (customers.length === 0) return <Empty>Create a <Link to="/partner/customers">customer</Link> first.</Empty>;
  return (
    <form className="inline-form" onSubmit={create} aria-label="New license">
      <ChoiceSelect label="Customer" placeholder="Choose a customer" items={customers} name="customerId" defaultValue={customerId} />
      <label>
        Policy
        <select name="policyId" required value={policyId} onChange={(event) => setPolicyId(event.target.value)}>
          <option value="" disabled>
            Choose a policy
          </option>
          {policies.map((p) => (
            <option key={p.id} value={p.id}>
              {view.products.find((product) => product.id === p.productId)?.name ?? 'Product'} · {p.name}
            </option>
          ))}
        </select>
      </label>
      <ContractChoice contracts={contracts} policy={policies.find((p) => p.id === policyId)} />
      <label>
        Name <span className="hint">(optional)</span>
        <input name="name" maxLength={200} />
      </label>
      <button type="submit" className="primary" disabled={busy || !policyId}>
        Create license
      </button>
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}

const FILTERS = ['status', 'customerId', 'q'] as const;

/** The licenses the partner sees (its customers', of its groups' products): search, status filter, and create. */
export function PartnerLicenses() {
  const view = usePartner();
  const navigate = useNavigate();
  const [filter, setFilter] = useUrlFilters(FILTERS);
  const choices = useLoad(async () => {
    const [customers, contracts] = await Promise.all([api.listCustomers(), partnerApi.listContracts()]);
    return { customers, contracts };
  }, 'choices');
  const query = { status: (filter.status || undefined) as LicenseStatus | undefined, customerId: filter.customerId || undefined, q: filter.q || undefined };
  const list = usePagedList((cursor) => api.listLicenses({ ...query, limit: 50, cursor }), FILTERS.map((name) => filter[name]).join('|'));

  const customerName = (id: string | null) => (id ? (choices.data?.customers.find((c) => c.id === id)?.name ?? '—') : '—');

  return (
    <section aria-labelledby="partner-licenses-title">
      <h1 id="partner-licenses-title">Licenses</h1>
      <Show loaded={choices}>
        {({ customers, contracts }) => (
          <>
            {view.holds('licenses:create') ? (
              <details className="card" open={filter.customerId !== ''}>
                <summary>New license</summary>
                <NewLicense customers={customers} contracts={contracts} customerId={filter.customerId} onCreated={(id, key) => navigate(`/partner/licenses/${id}`, { state: { key } })} />
              </details>
            ) : null}
            <form
              className="search"
              role="search"
              aria-label="Search licenses"
              key={filter.q}
              onSubmit={(event) => {
                event.preventDefault();
                setFilter('q', String(new FormData(event.currentTarget).get('q') ?? '').trim());
              }}
            >
              <label>
                Search <span className="hint">(name, last key group, customer name or e-mail)</span>
                <input name="q" type="search" maxLength={200} defaultValue={filter.q} autoComplete="off" />
              </label>
              <button type="submit">Search</button>
            </form>
            <fieldset className="filters">
              <legend>Filter</legend>
              <FilterSelect label="Status" value={filter.status} onChange={(value) => setFilter('status', value)} options={LICENSE_STATUSES} />
              <FilterSelect label="Customer" value={filter.customerId} onChange={(value) => setFilter('customerId', value)} options={customers.map((c) => ({ value: c.id, label: c.name }))} />
            </fieldset>
          </>
        )}
      </Show>
      <PagedTable
        list={list}
        label="Licenses"
        empty="No licenses match."
        columns={['License', 'Product', 'Customer', 'Status', 'Machines', 'Expires']}
        row={(license) => (
          <tr key={license.id}>
            <td>
              <Link to={`/partner/licenses/${license.id}`}>{license.name}</Link> <span className="hint">…{license.keyHint}</span>
            </td>
            <td>{license.product}</td>
            <td>{customerName(license.customerId)}</td>
            <td>
              <StatusBadge status={license.status} />
            </td>
            <td>{seats(license)}</td>
            <td>{formatDate(license.expiresAt, 'never')}</td>
          </tr>
        )}
      />
    </section>
  );
}
