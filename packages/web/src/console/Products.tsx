import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui.js';

export function Products() {
  const products = useLoad(() => api.listProducts(), 'products');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const code = String(form.get('code') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      await api.createProduct({ name: String(form.get('name')).trim(), ...(code ? { code } : {}) });
      formElement.reset();
      products.reload();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">Products</h1>
      <form className="card inline-form" onSubmit={create} aria-label="New product">
        <h2>New product</h2>
        <label>
          Name
          <input name="name" required maxLength={200} />
        </label>
        <label>
          Code <span className="hint">(optional; made from the name)</span>
          <input name="code" maxLength={100} />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Create product
        </button>
        {error ? <ErrorMessage message={error} /> : null}
      </form>
      <Show loaded={products}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No products yet: create the first one above.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Products</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Code</th>
                    <th scope="col">Created</th>
                    <th scope="col">
                      <span className="visually-hidden">Links</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((product) => (
                    <tr key={product.id}>
                      <td>{product.name}</td>
                      <td>
                        <code>{product.code}</code>
                      </td>
                      <td>{formatDate(product.createdAt)}</td>
                      <td>
                        <Link to={`/console/policies?productId=${product.id}`}>Policies</Link> ·{' '}
                        <Link to={`/console/licenses?productId=${product.id}`}>Licenses</Link>
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
