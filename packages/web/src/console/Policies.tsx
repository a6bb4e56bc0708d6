import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, POLICY_KINDS, type PolicyKind } from '../api.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui.js';

function optionalInteger(value: FormDataEntryValue | null): number | null {
  const text = String(value ?? '').trim();
  return text === '' ? null : Number(text);
}

export function Policies() {
  const [params, setParams] = useSearchParams();
  const productId = params.get('productId') ?? '';
  const products = useLoad(() => api.listProducts(), 'products');
  const policies = useLoad(() => api.listPolicies(productId || undefined), `policies:${productId}`);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const kind = String(form.get('kind')) as PolicyKind;
    setBusy(true);
    setError(null);
    try {
      await api.createPolicy({
        productId: String(form.get('productId')),
        name: String(form.get('name')).trim(),
        kind,
        ...(kind === 'perpetual' ? {} : { durationDays: optionalInteger(form.get('durationDays')) }),
        maxMachines: optionalInteger(form.get('maxMachines')),
      });
      formElement.reset();
      policies.reload();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  const productName = (id: string) => products.data?.find((p) => p.id === id)?.name ?? id;

  return (
    <section aria-labelledby="policies-title">
      <h1 id="policies-title">Policies</h1>
      <Show loaded={products}>
        {(productList) =>
          productList.length === 0 ? (
            <Empty>Create a product first: a policy belongs to a product.</Empty>
          ) : (
            <>
              <form className="card inline-form" onSubmit={create} aria-label="New policy">
                <h2>New policy</h2>
                <label>
                  Product
                  <select name="productId" required defaultValue={productId}>
                    <option value="" disabled>
                      Choose a product
                    </option>
                    {productList.map((product) => (
                      <option key={product.id} value={product.id}>
                        {product.name}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  Name
                  <input name="name" required maxLength={200} />
                </label>
                <label>
                  Kind
                  <select name="kind" defaultValue="timed">
                    {POLICY_KINDS.map((kind) => (
                      <option key={kind}>{kind}</option>
                    ))}
                  </select>
                </label>
                <label>
                  Duration in days <span className="hint">(not for perpetual)</span>
                  <input name="durationDays" type="number" min={1} max={36500} defaultValue={365} />
                </label>
                <label>
                  Machines <span className="hint">(empty: unlimited)</span>
                  <input name="maxMachines" type="number" min={0} />
                </label>
                <button type="submit" className="primary" disabled={busy}>
                  Create policy
                </button>
                {error ? <ErrorMessage message={error} /> : null}
              </form>
              <label className="filter">
                Show policies of
                <select value={productId} onChange={(event) => setParams(event.target.value ? { productId: event.target.value } : {})}>
                  <option value="">every product</option>
                  {productList.map((product) => (
                    <option key={product.id} value={product.id}>
                      {product.name}
                    </option>
                  ))}
                </select>
              </label>
            </>
          )
        }
      </Show>
      <Show loaded={policies}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No policies{productId ? ' for this product' : ''} yet.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Policies</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Product</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Machines</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((policy) => (
                    <tr key={policy.id}>
                      <td>{policy.name}</td>
                      <td>{productName(policy.productId)}</td>
                      <td>{policy.kind}</td>
                      <td>{policy.durationDays ? `${policy.durationDays} days` : policy.termMonths ? `${policy.termMonths} months` : 'perpetual'}</td>
                      <td>{policy.maxMachines ?? 'unlimited'}</td>
                      <td>{formatDate(policy.createdAt)}</td>
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
