import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../api/api.js';
import { Empty, formatDate, NotFoundPage, seats, Show, StatusBadge, useLoad } from '../ui/ui.js';
import { ResourcePage, ResourceTable } from '../ui/resource.js';
import { usePartner } from './partner-context.js';
import { NewCustomerForm } from '../licensing/Customers.js';

/** The partner's customers (the API lists its own only), and a create form when it holds customers:create. */
export function PartnerCustomers() {
  const view = usePartner();
  const [q, setQ] = useState('');
  const loaded = useLoad(() => api.listCustomers(q || undefined), `customers|${q}`);

  return (
    <ResourcePage
      id="partner-customers"
      title="Customers"
      create={
        view.holds('customers:create') ? (
          <NewCustomerForm
            onCreated={(customer) => {
              loaded.reload();
              return `${customer.name} was created.`;
            }}
          />
        ) : null
      }
      filters={
        <form
          className="search"
          role="search"
          aria-label="Search customers"
          onSubmit={(event) => {
            event.preventDefault();
            setQ(String(new FormData(event.currentTarget).get('q') ?? '').trim());
          }}
        >
          <label>
            Search <span className="hint">(name or e-mail)</span>
            <input name="q" type="search" maxLength={200} defaultValue={q} />
          </label>
          <button type="submit">Search</button>
        </form>
      }
      loaded={loaded}
      empty={q ? 'No customer matches.' : 'You have no customers yet.'}
      columns={[
        { header: 'Customer', cell: (c) => <Link to={`/partner/customers/${c.id}`}>{c.name}</Link> },
        { header: 'E-mail', cell: (c) => c.email },
        { header: 'Since', cell: (c) => formatDate(c.createdAt) },
      ]}
    />
  );
}

/** One customer of the partner, with its licenses (those of the partner's products). */
export function PartnerCustomer() {
  const { id = '' } = useParams();
  const loaded = useLoad(async () => {
    const [customer, licenses] = await Promise.all([api.getCustomer(id), api.allLicenses({ customerId: id })]);
    return { customer, licenses };
  }, id);
  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="customer" back="/partner/customers" />;
  return (
    <Show loaded={loaded}>
      {({ customer, licenses }) => (
        <section aria-labelledby="partner-customer-title">
          <p>
            <Link to="/partner/customers">← Customers</Link>
          </p>
          <h1 id="partner-customer-title">{customer.name}</h1>
          <p>
            {customer.email} · customer since {formatDate(customer.createdAt)}
          </p>
          <h2>Licenses</h2>
          {licenses.length === 0 ? (
            <Empty>
              No licenses yet: <Link to={`/partner/licenses?customerId=${customer.id}`}>create one</Link> or <Link to="/partner/trials">start a trial</Link>.
            </Empty>
          ) : (
            <ResourceTable
              caption={`Licenses of ${customer.name}`}
              rows={licenses}
              columns={[
                { header: 'License', cell: (l) => <Link to={`/partner/licenses/${l.id}`}>{l.name}</Link> },
                { header: 'Product', cell: (l) => l.product },
                { header: 'Status', cell: (l) => <StatusBadge status={l.status} /> },
                { header: 'Machines', cell: (l) => seats(l) },
                { header: 'Expires', cell: (l) => formatDate(l.expiresAt, 'never') },
              ]}
            />
          )}
        </section>
      )}
    </Show>
  );
}
