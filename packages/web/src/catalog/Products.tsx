import { Link } from 'react-router-dom';
import { api, type Product } from '../api/api.js';
import { can, useSession } from '../session.js';
import { formatDate, useLoad } from '../ui/ui.js';
import { ActionForm, ResourcePage, text } from '../ui/resource.js';

export function Products() {
  const { me } = useSession();
  const products = useLoad(() => api.listProducts(), 'products');

  async function create(form: FormData) {
    const code = text(form, 'code');
    await api.createProduct({ name: text(form, 'name'), ...(code ? { code } : {}) });
    products.reload();
  }

  return (
    <ResourcePage<Product>
      id="products"
      title="Products"
      loaded={products}
      empty="No products yet: create the first one above."
      create={
        can(me, 'products:write') ? (
          <ActionForm title="New product" submitLabel="Create product" onSubmit={create} reset>
            <label>
              Name
              <input name="name" required maxLength={200} />
            </label>
            <label>
              Code <span className="hint">(optional; made from the name)</span>
              <input name="code" maxLength={64} />
            </label>
          </ActionForm>
        ) : undefined
      }
      columns={[
        { header: 'Name', cell: (product) => <Link to={`/console/products/${product.id}`}>{product.name}</Link> },
        { header: 'Code', cell: (product) => <code>{product.code}</code> },
        { header: 'Created', cell: (product) => formatDate(product.createdAt) },
        {
          header: 'Links',
          hiddenHeader: true,
          cell: (product) => (
            <>
              <Link to={`/console/policies?productId=${product.id}`}>Policies</Link> · <Link to={`/console/licenses?productId=${product.id}`}>Licenses</Link>
            </>
          ),
        },
      ]}
    />
  );
}
