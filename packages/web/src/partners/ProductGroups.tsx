import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, type Product } from '../api/api.js';
import { partnersApi, type ProductGroup } from '../api/partners.js';
import { can, useSession } from '../session.js';
import { Empty, formatDate, NotFoundPage, Show, useLoad } from '../ui/ui.js';
import { ActionForm, DeleteButton, ResourceTable, text } from '../ui/resource.js';

/**
 * Product groups: named sets of products (a product may be in several) that partners are given rights on
 * and contracts may cover. Listed in their order (position, then name), as selection screens show them.
 */

/** The products of a group as checkboxes (a multi-select that works with a keyboard and a screen reader). */
function ProductChoice({ products, chosen }: { products: Product[]; chosen: readonly string[] }) {
  return (
    <fieldset className="group span-all">
      <legend>Products</legend>
      {products.length === 0 ? (
        <Empty>
          No products yet: <Link to="/console/products">create one</Link> first.
        </Empty>
      ) : (
        <div className="check-list">
          {products.map((product) => (
            <label key={product.id} className="check">
              <input type="checkbox" name="productIds" value={product.id} defaultChecked={chosen.includes(product.id)} />
              {product.name}
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}

const groupFields = (form: FormData) => ({
  name: text(form, 'name'),
  position: Number(text(form, 'position') || '0'),
  productIds: form.getAll('productIds').map(String),
});

function GroupFields({ group, products }: { group?: ProductGroup; products: Product[] }) {
  return (
    <>
      <label>
        Name
        <input name="name" required maxLength={200} defaultValue={group?.name} />
      </label>
      <label>
        Order <span className="hint">(lower first; then by name)</span>
        <input name="position" type="number" step={1} defaultValue={group?.position ?? 0} />
      </label>
      <ProductChoice products={products} chosen={group?.productIds ?? []} />
    </>
  );
}

const productNames = (group: ProductGroup, products: Product[]) =>
  group.productIds.map((id) => products.find((product) => product.id === id)?.name ?? id).join(', ') || '—';

export function ProductGroups() {
  const { me } = useSession();
  const loaded = useLoad(async () => {
    const [groups, products] = await Promise.all([partnersApi.listProductGroups(), api.listProducts()]);
    return { groups, products };
  }, 'product-groups');

  return (
    <section aria-labelledby="product-groups-title">
      <h1 id="product-groups-title">Product groups</h1>
      <p className="hint">Partners are given rights per product group; a contract may cover a whole group.</p>
      <Show loaded={loaded}>
        {({ groups, products }) => (
          <>
            {can(me, 'products:write') ? (
              <ActionForm
                title="New product group"
                submitLabel="Create product group"
                reset
                onSubmit={async (form) => {
                  const group = await partnersApi.createProductGroup(groupFields(form));
                  loaded.reload();
                  return `Product group ${group.name} created.`;
                }}
              >
                <GroupFields products={products} />
              </ActionForm>
            ) : null}
            {groups.length === 0 ? (
              <Empty>No product groups yet.</Empty>
            ) : (
              <ResourceTable
                caption="Product groups"
                rows={groups}
                columns={[
                  { header: 'Order', cell: (group) => group.position },
                  { header: 'Name', cell: (group) => <Link to={`/console/product-groups/${group.id}`}>{group.name}</Link> },
                  { header: 'Products', cell: (group) => productNames(group, products) },
                  { header: 'Created', cell: (group) => formatDate(group.createdAt) },
                ]}
              />
            )}
          </>
        )}
      </Show>
    </section>
  );
}

export function ProductGroupDetail() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const { me } = useSession();
  const loaded = useLoad(async () => {
    const [group, products] = await Promise.all([partnersApi.getProductGroup(id), api.listProducts()]);
    return { group, products };
  }, id);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="product group" back="/console/product-groups" />;

  return (
    <Show loaded={loaded}>
      {({ group, products }) => (
        <section aria-labelledby="product-group-title">
          <p>
            <Link to="/console/product-groups">← Product groups</Link>
          </p>
          <h1 id="product-group-title">{group.name}</h1>
          <dl className="facts">
            <dt>Order</dt>
            <dd>{group.position}</dd>
            <dt>Products</dt>
            <dd>{productNames(group, products)}</dd>
            <dt>Created</dt>
            <dd>{formatDate(group.createdAt)}</dd>
          </dl>
          {can(me, 'products:write') ? (
            <>
              <ActionForm
                title="Edit product group"
                submitLabel="Save product group"
                onSubmit={async (form) => {
                  await partnersApi.updateProductGroup(group.id, groupFields(form));
                  loaded.reload();
                  return 'Saved.';
                }}
              >
                <GroupFields group={group} products={products} />
              </ActionForm>
              <div className="actions">
                <DeleteButton
                  what={`product group ${group.name}`}
                  consequence="A group that a partner holds rights on cannot be deleted; take the rights away first."
                  onDelete={() => partnersApi.deleteProductGroup(group.id)}
                  onDeleted={() => navigate('/console/product-groups')}
                />
              </div>
            </>
          ) : null}
        </section>
      )}
    </Show>
  );
}
