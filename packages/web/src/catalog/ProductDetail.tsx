import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, type Customer } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, formatDate, NotFoundPage, Show, useLoad } from '../ui/ui.js';
import { catalogApi, type ProductRecord } from '../api/catalog.js';
import { termOf } from './Policies.js';
import { ActionForm, checked, DeleteButton, list, ResourceTable, text } from '../ui/resource.js';

/** The customers a custom product is made for: chosen from the customer list, each removable. */
function CustomerChoice({ customers, chosen, onChange }: { customers: Customer[]; chosen: string[]; onChange: (ids: string[]) => void }) {
  const name = (id: string) => customers.find((c) => c.id === id)?.name ?? id;
  const others = customers.filter((c) => !chosen.includes(c.id));
  return (
    <fieldset className="group span-all">
      <legend>Made for</legend>
      <p className="hint">A custom product is seen only by the customers named here, who alone may hold its licenses. None: a public product.</p>
      {chosen.length > 0 ? (
        <ul className="chips" aria-label="Customers of this custom product">
          {chosen.map((id) => (
            <li key={id}>
              {name(id)}{' '}
              <button type="button" className="link-button" onClick={() => onChange(chosen.filter((c) => c !== id))}>
                Remove<span className="visually-hidden"> {name(id)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <label>
        Add a customer
        <select value="" onChange={(event) => event.target.value && onChange([...chosen, event.target.value])}>
          <option value="">Choose a customer</option>
          {others.map((customer) => (
            <option key={customer.id} value={customer.id}>
              {customer.name}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}

function ProductEditor({ product, customers, trialPolicies, onSaved }: { product: ProductRecord; customers: Customer[]; trialPolicies: Array<{ id: string; name: string }>; onSaved: () => void }) {
  const [customerIds, setCustomerIds] = useState(product.customerIds);

  async function save(form: FormData) {
    const durations = list(form, 'trialDurations').map(Number);
    const description = text(form, 'description');
    const url = text(form, 'url');
    await catalogApi.updateProduct(product.id, {
      name: text(form, 'name'),
      code: text(form, 'code'),
      description: description || null,
      url: url || null,
      trialDurations: durations,
      trialPreset: Number(text(form, 'trialPreset')),
      trialPolicyId: text(form, 'trialPolicyId') || null,
      publicTrials: checked(form, 'publicTrials'),
      customerIds,
    });
    onSaved();
    return 'Saved.';
  }

  return (
    <ActionForm title="Edit product" submitLabel="Save product" onSubmit={save} className="card stack-form">
      <div className="row">
        <label>
          Name
          <input name="name" required maxLength={200} defaultValue={product.name} />
        </label>
        <label>
          Code <span className="hint">(applications may name the product by it)</span>
          <input name="code" required maxLength={64} pattern="[a-z0-9][a-z0-9._\-]*" defaultValue={product.code} />
        </label>
      </div>
      <label>
        Description
        <textarea name="description" className="short" defaultValue={product.description ?? ''} />
      </label>
      <label>
        Website <span className="hint">(optional)</span>
        <input name="url" type="url" maxLength={2000} defaultValue={product.url ?? ''} />
      </label>
      <fieldset className="group">
        <legend>Trials</legend>
        <div className="row">
          <label>
            Trial lengths in days <span className="hint">(comma-separated, e.g. 5, 30, 60, 90)</span>
            <input name="trialDurations" required defaultValue={product.trialDurations.join(', ')} />
          </label>
          <label>
            Trial preset in days <span className="hint">(used when none is named; one of the lengths)</span>
            <input name="trialPreset" type="number" required min={1} max={3650} defaultValue={product.trialPreset} />
          </label>
          <label>
            Trial policy
            <select name="trialPolicyId" defaultValue={product.trialPolicyId ?? ''}>
              <option value="">none</option>
              {trialPolicies.map((policy) => (
                <option key={policy.id} value={policy.id}>
                  {policy.name}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input name="publicTrials" type="checkbox" defaultChecked={product.publicTrials} />
            Anyone may sign up for a trial by e-mail
          </label>
        </div>
      </fieldset>
      <CustomerChoice customers={customers} chosen={customerIds} onChange={setCustomerIds} />
    </ActionForm>
  );
}

export function ProductDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { me } = useSession();
  const loaded = useLoad(async () => {
    const [product, policies, customers] = await Promise.all([catalogApi.getProduct(id), catalogApi.listPolicies(id), api.listCustomers()]);
    return { product, policies, customers };
  }, id);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="product" back="/console/products" />;

  return (
    <Show loaded={loaded}>
      {({ product, policies, customers }) => {
        const customerName = (customerId: string) => customers.find((c) => c.id === customerId)?.name ?? customerId;
        return (
          <section aria-labelledby="product-title">
            <p>
              <Link to="/console/products">← Products</Link>
            </p>
            <h1 id="product-title">{product.name}</h1>
            <dl className="facts">
              <dt>Code</dt>
              <dd>
                <code>{product.code}</code>
              </dd>
              <dt>Description</dt>
              <dd>{product.description || '—'}</dd>
              <dt>Trials</dt>
              <dd data-testid="product-trials">
                {product.trialDurations.join(', ')} days; preset {product.trialPreset} days{product.publicTrials ? '; public sign-up' : ''}
              </dd>
              <dt>Made for</dt>
              <dd data-testid="product-customers">{product.customerIds.length ? product.customerIds.map(customerName).join(', ') : 'everyone (public product)'}</dd>
              <dt>Created</dt>
              <dd>{formatDate(product.createdAt)}</dd>
            </dl>
            <p className="actions">
              <Link to={`/console/releases?productId=${product.id}`}>Releases</Link>
              <Link to={`/console/policies?productId=${product.id}`}>Policies</Link>
              <Link to={`/console/licenses?productId=${product.id}`}>Licenses</Link>
              <Link to={`/console/events?targetType=product&targetId=${product.id}`}>History</Link>
            </p>
            <h2>Policies</h2>
            {policies.length === 0 ? (
              <Empty>No policies yet.</Empty>
            ) : (
              <ResourceTable
                caption="Policies of the product"
                rows={policies}
                columns={[
                  { header: 'Name', cell: (policy) => <Link to={`/console/policies/${policy.id}`}>{policy.name}</Link> },
                  { header: 'Kind', cell: (policy) => policy.kind },
                  { header: 'Term', cell: (policy) => termOf(policy) },
                ]}
              />
            )}
            {can(me, 'products:write') ? (
              <>
                <ProductEditor
                  product={product}
                  customers={customers}
                  trialPolicies={policies.filter((p) => p.kind === 'trial')}
                  onSaved={loaded.reload}
                />
                <div className="actions">
                  <DeleteButton
                    what={`product ${product.name}`}
                    consequence="Only a product without policies can be deleted (delete or keep its policies first)."
                    onDelete={() => catalogApi.deleteProduct(product.id)}
                    onDeleted={() => navigate('/console/products')}
                  />
                </div>
              </>
            ) : null}
          </section>
        );
      }}
    </Show>
  );
}
