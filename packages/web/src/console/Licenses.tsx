import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, LICENSE_STATUSES, type License, type LicenseStatus } from '../api.js';
import { Empty, ErrorMessage, FilterSelect, formatDate, messageOf, PagedTable, seats, Show, StatusBadge, useLoad, usePagedList } from '../ui.js';
import { PolicyOptions } from './PolicyOptions.js';

const FILTERS = ['productId', 'status', 'customerId', 'expiring'] as const;

export function Licenses() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const choices = useLoad(async () => {
    const [products, customers, policies] = await Promise.all([api.listProducts(), api.listCustomers(), api.listPolicies()]);
    return { products, customers, policies };
  }, 'choices');
  const key = FILTERS.map((name) => filter[name]).join('|');
  const query = {
    productId: filter.productId || undefined,
    customerId: filter.customerId || undefined,
    status: (filter.status || undefined) as LicenseStatus | undefined,
    expiresBefore: filter.expiring ? new Date(Date.now() + Number(filter.expiring) * 86_400_000).toISOString() : undefined,
  };
  const list = usePagedList((cursor) => api.listLicenses({ ...query, limit: 50, cursor }), key);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const customerId = String(form.get('customerId') ?? '');
    const name = String(form.get('name') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const license = await api.createLicense({ policyId: String(form.get('policyId')), ...(customerId ? { customerId } : {}), ...(name ? { name } : {}) });
      navigate(`/console/licenses/${license.id}`, { state: { key: license.key } });
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  const customerName = (id: string | null) => (id ? (choices.data?.customers.find((c) => c.id === id)?.name ?? id) : '—');

  return (
    <section aria-labelledby="licenses-title">
      <h1 id="licenses-title">Licenses</h1>
      <Show loaded={choices}>
        {({ products, customers, policies }) => (
          <>
            <details className="card">
              <summary>New license</summary>
              {policies.length === 0 ? (
                <Empty>
                  Create a <Link to="/console/products">product</Link> and a <Link to="/console/policies">policy</Link> first.
                </Empty>
              ) : (
                <form className="inline-form" onSubmit={create} aria-label="New license">
                  <label>
                    Policy
                    <select name="policyId" required defaultValue="">
                      <PolicyOptions products={products} policies={policies} />
                    </select>
                  </label>
                  <label>
                    Customer
                    <select name="customerId" defaultValue={filter.customerId}>
                      <option value="">none</option>
                      {customers.map((customer) => (
                        <option key={customer.id} value={customer.id}>
                          {customer.name}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    Name <span className="hint">(optional)</span>
                    <input name="name" maxLength={200} />
                  </label>
                  <button type="submit" className="primary" disabled={busy}>
                    Create license
                  </button>
                </form>
              )}
            </details>
            <fieldset className="filters">
              <legend>Filter</legend>
              <FilterSelect label="Product" value={filter.productId} onChange={(value) => setFilter('productId', value)} options={products.map((p) => ({ value: p.id, label: p.name }))} />
              <FilterSelect label="Status" value={filter.status} onChange={(value) => setFilter('status', value)} options={LICENSE_STATUSES} />
              <FilterSelect label="Customer" value={filter.customerId} onChange={(value) => setFilter('customerId', value)} options={customers.map((c) => ({ value: c.id, label: c.name }))} />
              {filter.expiring ? (
                <button type="button" onClick={() => setFilter('expiring', '')}>
                  Expiring within {filter.expiring} days ✕
                </button>
              ) : null}
            </fieldset>
          </>
        )}
      </Show>
      {error ? <ErrorMessage message={error} /> : null}
      <PagedTable
        list={list}
        label="Licenses"
        empty="No licenses match."
        columns={['License', 'Product', 'Customer', 'Status', 'Machines', 'Expires']}
        row={(license) => (
          <tr key={license.id}>
            <td>
              <Link to={`/console/licenses/${license.id}`}>{license.name}</Link> <span className="hint">…{license.keyHint}</span>
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
