import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, type Customer, type Policy, type Product } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, messageOf, PagedTable, Show, useLoad, usePagedList } from '../ui/ui.js';
import { CopyButton } from '../ui/CopyButton.js';
import { ExportCsvButton } from '../ui/ExportCsvButton.js';
import { exportsApi } from '../api/exports.js';
import { formatMoney, opsApi, ORDER_SOURCES, SOURCE_LABELS, type Order, type OrderResult, type OrderSource } from '../api/ops.js';
import { PolicyOptions } from '../catalog/PolicyOptions.js';
import { PartnerFilter, usePartners } from '../partners/PartnerFilter.js';

const FILTERS = ['source', 'customerId', 'partnerId', 'email'] as const;
type Filter = Record<(typeof FILTERS)[number], string>;

interface Line {
  policyId: string;
  quantity: string;
  name: string;
  price: string;
  currency: string;
}
const NEW_LINE: Line = { policyId: '', quantity: '1', name: '', price: '', currency: 'EUR' };

/** A reference staff may keep or replace with their own invoice or order number. */
function suggestedReference(): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `M-${day}-${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
}

/** "12.50" → 1250 cents; null when empty; NaN when it is not an amount. */
function toMinor(text: string): number | null {
  const value = text.trim().replace(',', '.');
  if (!value) return null;
  return /^\d+(\.\d{1,2})?$/.test(value) ? Math.round(Number(value) * 100) : Number.NaN;
}

export function Orders() {
  const { me } = useSession();
  const mayWrite = can(me, 'orders:write');
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Filter;
  const choices = useLoad(async () => {
    const [products, customers, policies] = await Promise.all([api.listProducts(), api.listCustomers(), api.listPolicies()]);
    return { products, customers, policies };
  }, 'choices');
  const key = FILTERS.map((name) => filter[name]).join('|');
  const query = {
    source: (filter.source || undefined) as OrderSource | undefined,
    customerId: filter.customerId || undefined,
    partnerId: filter.partnerId || undefined,
    email: filter.email.trim() || undefined,
  };
  const list = usePagedList(
    (cursor) =>
      opsApi.listOrders(query, cursor),
    key,
  );
  const [created, setCreated] = useState<OrderResult | null>(null);
  const partners = usePartners();

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  const productName = (id: string) => choices.data?.products.find((p) => p.id === id)?.name ?? id;
  const customerName = (order: Order) => choices.data?.customers.find((c) => c.id === order.customerId)?.name ?? order.company ?? order.customerName ?? order.email;

  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">Orders</h1>
      <Show loaded={choices}>
        {({ products, customers, policies }) => (
          <>
            {mayWrite ? (
              <CreateOrder
                products={products}
                customers={customers}
                policies={policies}
                onCreated={(result) => {
                  setCreated(result);
                  list.first.reload();
                  choices.reload();
                }}
              />
            ) : null}
            {created ? <CreatedOrder order={created} productName={productName} /> : null}
            <fieldset className="filters">
              <legend>Filter</legend>
              <label>
                Source
                <select value={filter.source} onChange={(event) => setFilter('source', event.target.value)}>
                  <option value="">any</option>
                  {ORDER_SOURCES.map((source) => (
                    <option key={source} value={source}>
                      {SOURCE_LABELS[source]}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Customer
                <select value={filter.customerId} onChange={(event) => setFilter('customerId', event.target.value)}>
                  <option value="">any</option>
                  {customers.map((customer) => (
                    <option key={customer.id} value={customer.id}>
                      {customer.name}
                    </option>
                  ))}
                </select>
              </label>
              <PartnerFilter label="Partner's customers" value={filter.partnerId} onChange={(value) => setFilter('partnerId', value)} partners={partners} />
              <label>
                Buyer e-mail <span className="hint">(exact)</span>
                <input type="search" defaultValue={filter.email} onKeyDown={(event) => event.key === 'Enter' && setFilter('email', event.currentTarget.value.trim())} onBlur={(event) => setFilter('email', event.currentTarget.value.trim())} />
              </label>
            </fieldset>
          </>
        )}
      </Show>
      <ExportCsvButton run={() => exportsApi.orders(query)} />
      <PagedTable
        list={list}
        label="Orders"
        empty="No orders match."
        columns={['Order', 'Customer', 'Products', 'Amount', 'Source', 'Payment', 'Created', 'Licenses']}
        row={(order) => (
          <tr key={order.id}>
            <td>
              <Link to={`/console/orders/${order.id}`}>{order.externalId}</Link>
            </td>
            <td>
              {customerName(order)}
              <br />
              <span className="hint">{order.email}</span>
            </td>
            <td>{[...new Set(order.items.map((item) => productName(item.productId)))].join(', ')}</td>
            <td>{formatMoney(order.total, order.currency)}</td>
            <td>{SOURCE_LABELS[order.source]}</td>
            <td>{order.billing.paymentStatus ?? '—'}</td>
            <td>{formatDate(order.createdAt)}</td>
            <td>
              {order.items.map((item, i) => (
                <span key={item.licenseId}>
                  {i > 0 ? ', ' : null}
                  <Link to={`/console/licenses/${item.licenseId}`}>
                    {item.name ?? `License ${i + 1}`}
                  </Link>
                </span>
              ))}
            </td>
          </tr>
        )}
      />
    </section>
  );
}

/** The licenses an order just issued, with their keys (shown once here; revealing later is audited). */
function CreatedOrder({ order, productName }: { order: OrderResult; productName: (id: string) => string }) {
  return (
    <div className="notice" role="status" data-testid="created-order">
      <p>
        Order <Link to={`/console/orders/${order.id}`}>{order.externalId}</Link> recorded for {order.email}: {order.licenses.length}{' '}
        {order.licenses.length === 1 ? 'license' : 'licenses'} issued
        {order.mailIds.length > 0 ? ', confirmation mail queued.' : ', no mail sent.'}
      </p>
      <ul className="plain">
        {order.licenses.map((license) => (
          <li key={license.id}>
            <Link to={`/console/licenses/${license.id}`}>{license.name}</Link> ({productName(license.productId)})
            {license.key ? (
              <>
                {' '}
                <code className="key">{license.key}</code> <CopyButton text={license.key} label={`Copy the key of ${license.name}`} />
              </>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

function CreateOrder({
  products,
  customers,
  policies,
  onCreated,
}: {
  products: Product[];
  customers: Customer[];
  policies: Policy[];
  onCreated: (order: OrderResult) => void;
}) {
  const [buyer, setBuyer] = useState<'new' | 'existing'>('new');
  const [lines, setLines] = useState<Line[]>([{ ...NEW_LINE }]);
  const [reference, setReference] = useState(suggestedReference);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const setLine = (index: number, change: Partial<Line>) => setLines((all) => all.map((line, i) => (i === index ? { ...line, ...change } : line)));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    let customer: { email: string; name?: string | null; company?: string | null };
    if (buyer === 'existing') {
      const chosen = customers.find((c) => c.id === text('customerId'));
      if (!chosen) return setError('Choose the customer.');
      customer = { email: chosen.email, company: chosen.name };
    } else {
      customer = { email: text('email'), name: text('name') || null, company: text('company') || null };
    }
    const items = [];
    for (const [i, line] of lines.entries()) {
      const price = toMinor(line.price);
      if (Number.isNaN(price)) return setError(`Line ${i + 1}: the price must be an amount such as 49.00.`);
      items.push({
        policyId: line.policyId,
        quantity: Number(line.quantity) || 1,
        name: line.name.trim() || null,
        ...(price !== null ? { price, currency: line.currency.trim().toUpperCase() || null } : {}),
      });
    }
    const paymentStatus = text('paymentStatus');
    const invoiceUrl = text('invoiceUrl');
    setBusy(true);
    setError(null);
    try {
      const order = await opsApi.createOrder({
        externalId: reference.trim(),
        source: 'manual',
        customer,
        items,
        billing: { ...(paymentStatus ? { paymentStatus } : {}), ...(invoiceUrl ? { invoiceUrl } : {}) },
        sendEmail: form.get('sendEmail') === 'on',
      });
      formElement.reset();
      setLines([{ ...NEW_LINE }]);
      setReference(suggestedReference());
      onCreated(order);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  if (policies.length === 0) {
    return (
      <Empty>
        To record orders, create a <Link to="/console/products">product</Link> and a <Link to="/console/policies">policy</Link> first.
      </Empty>
    );
  }

  return (
    <details className="card">
      <summary>New manual order</summary>
      <form className="stack-form" onSubmit={submit} aria-label="New manual order">
        <p className="hint">For a purchase received by e-mail or invoice: the customer is found by e-mail or created with a portal account, and each line issues one license.</p>
        <label>
          Order reference
          <input name="externalId" required maxLength={200} value={reference} onChange={(event) => setReference(event.target.value)} />
        </label>
        <fieldset className="filters">
          <legend>Customer</legend>
          <label className="filter">
            <input type="radio" name="buyer" value="new" checked={buyer === 'new'} onChange={() => setBuyer('new')} /> New customer
          </label>
          <label className="filter">
            <input type="radio" name="buyer" value="existing" checked={buyer === 'existing'} onChange={() => setBuyer('existing')} disabled={customers.length === 0} /> Existing
            customer
          </label>
        </fieldset>
        {buyer === 'existing' ? (
          <label>
            Customer
            <select name="customerId" required defaultValue="">
              <option value="" disabled>
                Choose a customer
              </option>
              {customers.map((customer) => (
                <option key={customer.id} value={customer.id}>
                  {customer.name} ({customer.email})
                </option>
              ))}
            </select>
          </label>
        ) : (
          <div className="row">
            <label>
              Buyer e-mail
              <input name="email" type="email" required maxLength={320} />
            </label>
            <label>
              Buyer name <span className="hint">(optional)</span>
              <input name="name" maxLength={200} />
            </label>
            <label>
              Company <span className="hint">(optional)</span>
              <input name="company" maxLength={200} />
            </label>
          </div>
        )}
        {lines.map((line, i) => (
          <fieldset key={i} className="filters" aria-label={`Line ${i + 1}`}>
            <legend>Line {i + 1}</legend>
            <label className="policy-choice">
              Policy
              <select required value={line.policyId} onChange={(event) => setLine(i, { policyId: event.target.value })}>
                <PolicyOptions products={products} policies={policies} />
              </select>
            </label>
            <label>
              Quantity <span className="hint">(multiplies the seats)</span>
              <input type="number" min={1} max={10000} required value={line.quantity} onChange={(event) => setLine(i, { quantity: event.target.value })} />
            </label>
            <label>
              License name <span className="hint">(optional)</span>
              <input maxLength={200} value={line.name} onChange={(event) => setLine(i, { name: event.target.value })} />
            </label>
            <label>
              Price <span className="hint">(optional)</span>
              <input inputMode="decimal" placeholder="49.00" value={line.price} onChange={(event) => setLine(i, { price: event.target.value })} />
            </label>
            <label>
              Currency
              <input maxLength={3} pattern="[A-Za-z]{3}" value={line.currency} onChange={(event) => setLine(i, { currency: event.target.value })} />
            </label>
            {lines.length > 1 ? (
              <button type="button" onClick={() => setLines((all) => all.filter((_, j) => j !== i))}>
                Remove line {i + 1}
              </button>
            ) : null}
          </fieldset>
        ))}
        <div className="actions">
          <button type="button" onClick={() => setLines((all) => [...all, { ...NEW_LINE }])} disabled={lines.length >= 50}>
            Add a line
          </button>
        </div>
        <div className="row">
          <label>
            Payment
            <select name="paymentStatus" defaultValue="paid">
              <option value="">not recorded</option>
              <option value="paid">paid</option>
              <option value="pending">pending</option>
            </select>
          </label>
          <label>
            Invoice URL <span className="hint">(optional)</span>
            <input name="invoiceUrl" type="url" maxLength={2000} />
          </label>
        </div>
        <label className="filter">
          <input type="checkbox" name="sendEmail" defaultChecked /> Send the confirmation mail with the keys and a portal link
        </label>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Create order
          </button>
        </div>
        {error ? <ErrorMessage message={error} /> : null}
      </form>
    </details>
  );
}
