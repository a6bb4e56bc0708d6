import { Link } from 'react-router-dom';
import { api, type Customer } from '../api/api.js';
import { exportsApi } from '../api/exports.js';
import { partnersApi } from '../api/partners.js';
import { can, useSession } from '../session.js';
import { formatDate, useLoad } from '../ui/ui.js';
import { ActionForm, ResourcePage, text } from '../ui/resource.js';
import { ExportCsvButton } from '../ui/ExportCsvButton.js';
import { useUrlFilters } from '../ui/filters.js';
import { PartnerFilter, partnerName, usePartners } from '../partners/PartnerFilter.js';

/** The create form of a customer organization (the console's, and the partner face's for its own customers). */
export function NewCustomerForm({ onCreated }: { onCreated: (customer: Customer) => string | void }) {
  async function create(form: FormData) {
    return onCreated(await api.createCustomer({ name: text(form, 'name'), email: text(form, 'email') }));
  }
  return (
    <ActionForm title="New customer" submitLabel="Create customer" onSubmit={create} reset>
      <label>
        Organization name
        <input name="name" required maxLength={200} />
      </label>
      <label>
        Billing e-mail
        <input name="email" type="email" required maxLength={320} />
      </label>
    </ActionForm>
  );
}

export function Customers() {
  const { me } = useSession();
  const [{ partnerId }, setFilter] = useUrlFilters(['partnerId']);
  const partners = usePartners();
  const customers = useLoad(() => (partnerId ? partnersApi.listCustomers(partnerId) : api.listCustomers()), `customers|${partnerId}`);


  return (
    <ResourcePage<Customer>
      id="customers"
      title="Customers"
      loaded={customers}
      empty={partnerId ? 'No customers of this partner.' : 'No customers yet.'}
      create={
        can(me, 'customers:write') ? (
          <NewCustomerForm onCreated={() => customers.reload()} />
        ) : undefined
      }
      filters={
        <>
          {partners.length > 0 || partnerId ? (
            <fieldset className="filters">
              <legend>Filter</legend>
              <PartnerFilter label="Partner" value={partnerId} onChange={(value) => setFilter('partnerId', value)} partners={partners} />
            </fieldset>
          ) : null}
          <ExportCsvButton run={() => exportsApi.customers(partnerId ? { partnerId } : {})} />
        </>
      }
      columns={[
        { header: 'Name', cell: (customer) => <Link to={`/console/customers/${customer.id}`}>{customer.name}</Link> },
        { header: 'E-mail', cell: (customer) => customer.email },
        ...(partners.length > 0 ? [{ header: 'Partner', cell: (customer: Customer) => (customer.partnerId ? <Link to={`/console/partners/${customer.partnerId}`}>{partnerName(partners, customer.partnerId)}</Link> : '—') }] : []),
        { header: 'Created', cell: (customer) => formatDate(customer.createdAt) },
        { header: 'Links', hiddenHeader: true, cell: (customer) => <Link to={`/console/licenses?customerId=${customer.id}`}>Licenses</Link> },
      ]}
    />
  );
}
