import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, ApiError, LICENSE_STATUSES, type License, type LicenseStatus } from '../api/api.js';
import { exportsApi } from '../api/exports.js';
import { licensingApi } from '../api/licensing.js';
import { Empty, ErrorMessage, FilterSelect, formatDate, messageOf, PagedTable, seats, Show, StatusBadge, useLoad, usePagedList } from '../ui/ui.js';
import { PolicyOptions } from '../catalog/PolicyOptions.js';
import { ExportCsvButton } from '../ui/ExportCsvButton.js';
import { useUrlFilters } from '../ui/filters.js';
import { PartnerFilter, partnerName, usePartners } from '../partners/PartnerFilter.js';

const FILTERS = ['productId', 'status', 'customerId', 'soldBy', 'partnerId', 'expiring', 'q'] as const;

/** A full license key as typed or pasted: 30 symbols once dashes and spaces are gone (the API checks the rest). */
const looksLikeKey = (text: string) => text.replace(/[\s-]/g, '').length === 30;

export function Licenses() {
  const navigate = useNavigate();
  const [filter, setFilter] = useUrlFilters(FILTERS);
  const choices = useLoad(async () => {
    const [products, customers, policies] = await Promise.all([api.listProducts(), api.listCustomers(), api.listPolicies()]);
    return { products, customers, policies };
  }, 'choices');
  const key = FILTERS.map((name) => filter[name]).join('|');
  const query = {
    productId: filter.productId || undefined,
    customerId: filter.customerId || undefined,
    soldBy: filter.soldBy || undefined,
    partnerId: filter.partnerId || undefined,
    status: (filter.status || undefined) as LicenseStatus | undefined,
    expiresBefore: filter.expiring ? new Date(Date.now() + Number(filter.expiring) * 86_400_000).toISOString() : undefined,
    q: filter.q || undefined,
  };
  const list = usePagedList((cursor) => api.listLicenses({ ...query, limit: 50, cursor }), key);
  const partners = usePartners();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [mailKey, setMailKey] = useState(true);
  const [customerChoice, setCustomerChoice] = useState(filter.customerId);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const customerId = String(form.get('customerId') ?? '');
    const name = String(form.get('name') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const license = await api.createLicense({ policyId: String(form.get('policyId')), ...(customerId ? { customerId } : {}), ...(name ? { name } : {}) });
      // The license exists now; a failed mail is reported on its page (where "Mail the key" can try again).
      let mail: { mailedTo?: string; mailError?: string } = {};
      if (customerId && form.get('mailKey') === 'on') {
        mail = await licensingApi.sendKey(license.id).then(
          ({ to }) => ({ mailedTo: to }),
          (caught: unknown) => ({ mailError: messageOf(caught) }),
        );
      }
      navigate(`/console/licenses/${license.id}`, { state: { key: license.key, ...mail } });
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  /** A full key opens its license (`lookupLicense`, the key in the body); anything else filters by name, key group or customer. */
  async function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget).get('q') ?? '').trim();
    setError(null);
    if (looksLikeKey(text)) {
      setBusy(true);
      try {
        const license = await api.lookupLicense(text);
        navigate(`/console/licenses/${license.id}`);
      } catch (caught) {
        setError(caught instanceof ApiError && caught.status === 404 ? 'No license has this key.' : messageOf(caught));
      } finally {
        setBusy(false);
      }
      return;
    }
    setFilter('q', text);
  }

  const customerName = (id: string | null) => (id ? (choices.data?.customers.find((c) => c.id === id)?.name ?? id) : '—');

  return (
    <section aria-labelledby="licenses-title">
      <h1 id="licenses-title">Licenses</h1>
      <form className="search" role="search" aria-label="Search licenses" onSubmit={search} key={filter.q}>
        <label>
          Search <span className="hint">(a full key opens its license; else name, last key group, customer name or e-mail)</span>
          <input name="q" type="search" maxLength={200} defaultValue={filter.q} autoComplete="off" spellCheck={false} />
        </label>
        <button type="submit" disabled={busy}>
          Search
        </button>
        {filter.q ? (
          <button type="button" onClick={() => setFilter('q', '')}>
            Clear “{filter.q}” ✕
          </button>
        ) : null}
      </form>
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
                  <label className="policy-choice">
                    Policy
                    <select name="policyId" required defaultValue="">
                      <PolicyOptions products={products} policies={policies} />
                    </select>
                  </label>
                  <label>
                    Customer
                    <select name="customerId" value={customerChoice} onChange={(event) => setCustomerChoice(event.target.value)}>
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
                  <label className="filter span-all">
                    <input type="checkbox" name="mailKey" checked={mailKey && customerChoice !== ''} disabled={customerChoice === ''} onChange={(event) => setMailKey(event.target.checked)} />
                    Mail the key to the customer
                    <span className="hint">{customerChoice ? `(${customers.find((c) => c.id === customerChoice)?.email ?? ''})` : '(choose a customer first)'}</span>
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
              <PartnerFilter label="Sold by" value={filter.soldBy} onChange={(value) => setFilter('soldBy', value)} partners={partners} />
              <PartnerFilter label="Partner's customers" value={filter.partnerId} onChange={(value) => setFilter('partnerId', value)} partners={partners} />
              {filter.expiring ? (
                <button type="button" onClick={() => setFilter('expiring', '')}>
                  Expiring within {filter.expiring} days ✕
                </button>
              ) : null}
            </fieldset>
          </>
        )}
      </Show>
      <ExportCsvButton run={() => exportsApi.licenses(query)} />
      {error ? <ErrorMessage message={error} /> : null}
      <PagedTable
        list={list}
        label="Licenses"
        empty="No licenses match."
        columns={['License', 'Product', 'Customer', partners.length > 0 ? 'Sold by' : null, 'Status', 'Machines', 'Expires']}
        row={(license) => (
          <tr key={license.id}>
            <td>
              <Link to={`/console/licenses/${license.id}`}>{license.name}</Link> <span className="hint">…{license.keyHint}</span>
            </td>
            <td>{license.product}</td>
            <td>{customerName(license.customerId)}</td>
            {partners.length > 0 ? <td>{license.soldBy ? <Link to={`/console/partners/${license.soldBy}`}>{partnerName(partners, license.soldBy)}</Link> : '—'}</td> : null}
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
