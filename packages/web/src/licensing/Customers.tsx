import { Link } from 'react-router-dom';
import { api, type Customer } from '../api/api.js';
import { can, useSession } from '../session.js';
import { formatDate, useLoad } from '../ui/ui.js';
import { ActionForm, ResourcePage, text } from '../ui/resource.js';

export function Customers() {
  const { me } = useSession();
  const customers = useLoad(() => api.listCustomers(), 'customers');

  async function create(form: FormData) {
    await api.createCustomer({ name: text(form, 'name'), email: text(form, 'email') });
    customers.reload();
  }

  return (
    <ResourcePage<Customer>
      id="customers"
      title="Customers"
      loaded={customers}
      empty="No customers yet."
      create={
        can(me, 'customers:write') ? (
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
        ) : undefined
      }
      columns={[
        { header: 'Name', cell: (customer) => <Link to={`/console/customers/${customer.id}`}>{customer.name}</Link> },
        { header: 'E-mail', cell: (customer) => customer.email },
        { header: 'Created', cell: (customer) => formatDate(customer.createdAt) },
        { header: 'Links', hiddenHeader: true, cell: (customer) => <Link to={`/console/licenses?customerId=${customer.id}`}>Licenses</Link> },
      ]}
    />
  );
}
