import { Link, useSearchParams } from 'react-router-dom';
import { api, type Policy, type Product } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, formatDate, Show, useLoad } from '../ui/ui.js';
import { catalogApi } from '../api/catalog.js';
import { PolicyFields, policyInput } from './PolicyFields.js';
import { ActionForm, ResourcePage, text } from '../ui/resource.js';

/** A policy's term as people say it. */
export function termOf(policy: Pick<Policy, 'kind' | 'durationDays' | 'termMonths'>): string {
  if (policy.durationDays) return `${policy.durationDays} days`;
  if (policy.termMonths) return policy.termMonths % 12 === 0 ? `${policy.termMonths / 12} year${policy.termMonths === 12 ? '' : 's'}` : `${policy.termMonths} months`;
  return 'perpetual';
}

export function Policies() {
  const { me } = useSession();
  const [params, setParams] = useSearchParams();
  const productId = params.get('productId') ?? '';
  const products = useLoad(() => api.listProducts(), 'products');
  const policies = useLoad(() => api.listPolicies(productId || undefined), `policies:${productId}`);

  async function create(form: FormData) {
    await catalogApi.createPolicy({ productId: text(form, 'productId'), ...policyInput(form, true) });
    policies.reload();
  }

  const productName = (id: string) => products.data?.find((p) => p.id === id)?.name ?? id;
  const productChoice = (productList: Product[]) => (
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
  );

  return (
    <ResourcePage<Policy>
      id="policies"
      title="Policies"
      loaded={policies}
      empty={`No policies${productId ? ' for this product' : ''} yet.`}
      create={
        <Show loaded={products}>
          {(productList) =>
            productList.length === 0 ? (
              <Empty>Create a product first: a policy belongs to a product.</Empty>
            ) : (
              <>
                {can(me, 'policies:write') ? (
                  <ActionForm title="New policy" submitLabel="Create policy" onSubmit={create} reset className="card stack-form policy-form">
                    <PolicyFields lead={productChoice(productList)} folded />
                  </ActionForm>
                ) : null}
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
      }
      columns={[
        { header: 'Name', cell: (policy) => <Link to={`/console/policies/${policy.id}`}>{policy.name}</Link> },
        { header: 'Product', cell: (policy) => productName(policy.productId) },
        { header: 'Kind', cell: (policy) => policy.kind },
        { header: 'Duration', cell: (policy) => termOf(policy) },
        { header: 'Machines', cell: (policy) => policy.maxMachines ?? 'unlimited' },
        { header: 'Created', cell: (policy) => formatDate(policy.createdAt) },
      ]}
    />
  );
}
