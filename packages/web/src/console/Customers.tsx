import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui.js';

export function Customers() {
  const customers = useLoad(() => api.listCustomers(), 'customers');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setBusy(true);
    setError(null);
    try {
      await api.createCustomer({ name: String(form.get('name')).trim(), email: String(form.get('email')).trim() });
      formElement.reset();
      customers.reload();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">Customers</h1>
      <form className="card inline-form" onSubmit={create} aria-label="New customer">
        <h2>New customer</h2>
        <label>
          Organization name
          <input name="name" required maxLength={200} />
        </label>
        <label>
          Billing e-mail
          <input name="email" type="email" required maxLength={320} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Create customer
        </button>
        {error ? <ErrorMessage message={error} /> : null}
      </form>
      <Show loaded={customers}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No customers yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Customers</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">E-mail</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Links</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((customer) => (
                    <tr key={customer.id}>
                      <td>{customer.name}</td>
                      <td>{customer.email}</td>
                      <td>{formatDate(customer.createdAt)}</td>
                      <td>
                        <Link to={`/console/licenses?customerId=${customer.id}`}>Licenses</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}
