import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api } from '../api/api.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, TableWrap, useLoad } from '../ui/ui.js';
import { PartnerFilter, usePartners } from '../partners/PartnerFilter.js';
import { formatMoney, opsApi, RENEWAL_SOURCES, saveFile, type Renewal, type RenewalFilter, type RenewalSource } from '../api/ops.js';

const FILTERS = ['from', 'to', 'productId', 'customerId', 'partnerId', 'source'] as const;
/** The report reads at most this many renewals into the page; the CSV has them all. */
const MAX_ROWS = 2000;
/** How many licenses the report names (the others are shown by id). */
const NAMED_LICENSES = 50;

/** A local calendar day as yyyy-mm-dd. */
function day(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}
/** The start of a local calendar day (yyyy-mm-dd), plus `days`, as an instant. */
function startOf(date: string, days = 0): string | undefined {
  const [y, m, d] = date.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + days).toISOString();
}

/** Count and revenue per currency of the renewals read. */
function totalsOf(renewals: Renewal[]): { count: number; unpriced: number; revenue: [string, number][] } {
  const revenue = new Map<string, number>();
  let unpriced = 0;
  for (const renewal of renewals) {
    if (renewal.price === null) unpriced++;
    else revenue.set(renewal.currency ?? '', (revenue.get(renewal.currency ?? '') ?? 0) + renewal.price);
  }
  return { count: renewals.length, unpriced, revenue: [...revenue].sort(([a], [b]) => a.localeCompare(b)) };
}

export function RenewalsReport() {
  const [params, setParams] = useSearchParams();
  const today = new Date();
  const defaults = { from: day(new Date(today.getFullYear(), today.getMonth(), 1)), to: day(today) };
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? (name === 'from' || name === 'to' ? defaults[name] : '')])) as Record<
    (typeof FILTERS)[number],
    string
  >;
  const query: RenewalFilter = {
    from: startOf(filter.from),
    // The "to" day is included: the API's `to` is exclusive, so the period ends at the next midnight.
    to: startOf(filter.to, 1),
    productId: filter.productId || undefined,
    customerId: filter.customerId || undefined,
    partnerId: filter.partnerId || undefined,
    source: (filter.source || undefined) as RenewalSource | undefined,
  };
  const key = FILTERS.map((name) => filter[name]).join('|');
  const choices = useLoad(async () => {
    const [products, customers] = await Promise.all([api.listProducts(), api.listCustomers()]);
    return { products, customers };
  }, 'choices');
  const report = useLoad(async () => {
    const renewals: Renewal[] = [];
    let cursor: string | null = null;
    do {
      const page = await opsApi.listRenewals(query, cursor);
      renewals.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor && renewals.length < MAX_ROWS);
    // License names for the first licenses listed (one call each, so only a few); the rest show their id.
    const ids = [...new Set(renewals.map((r) => r.licenseId))].slice(0, NAMED_LICENSES);
    const named = await Promise.all(ids.map((id) => api.getLicense(id).then((license) => [id, license.name] as const, () => [id, id] as const)));
    return { renewals, more: cursor !== null, names: new Map(named) };
  }, key);
  const partners = usePartners();
  const [downloading, setDownloading] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(params);
    next.set(name, value);
    if (!value && name !== 'from' && name !== 'to') next.delete(name);
    setParams(next);
  }

  async function download() {
    setDownloading(true);
    setError(null);
    setNotice(null);
    try {
      const { text, truncated } = await opsApi.exportRenewals(query);
      saveFile(`renewals-${filter.from || 'start'}-to-${filter.to || 'now'}.csv`, text, 'text/csv');
      setNotice(truncated ? 'Downloaded the first 100,000 renewals; narrow the period for the rest.' : 'CSV downloaded.');
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setDownloading(false);
    }
  }

  const productName = (id: string) => choices.data?.products.find((p) => p.id === id)?.name ?? id;
  const customerName = (id: string | null) => (id ? (choices.data?.customers.find((c) => c.id === id)?.name ?? id) : '—');

  return (
    <section aria-labelledby="renewals-title">
      <h1 id="renewals-title">Renewals</h1>
      <p className="hint">Subscription renewals made in a period (automatic, by hand or from billing), with their revenue. The period includes both its first and its last day.</p>
      <fieldset className="filters">
        <legend>Period and filters</legend>
        <label>
          From
          <input type="date" value={filter.from} max={filter.to || undefined} onChange={(event) => setFilter('from', event.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={filter.to} min={filter.from || undefined} onChange={(event) => setFilter('to', event.target.value)} />
        </label>
        <label>
          Product
          <select value={filter.productId} onChange={(event) => setFilter('productId', event.target.value)}>
            <option value="">any</option>
            {choices.data?.products.map((product) => (
              <option key={product.id} value={product.id}>
                {product.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Customer
          <select value={filter.customerId} onChange={(event) => setFilter('customerId', event.target.value)}>
            <option value="">any</option>
            {choices.data?.customers.map((customer) => (
              <option key={customer.id} value={customer.id}>
                {customer.name}
              </option>
            ))}
          </select>
        </label>
        <PartnerFilter label="Partner's customers" value={filter.partnerId} onChange={(value) => setFilter('partnerId', value)} partners={partners} />
        <label>
          Source
          <select value={filter.source} onChange={(event) => setFilter('source', event.target.value)}>
            <option value="">any</option>
            {RENEWAL_SOURCES.map((source) => (
              <option key={source}>{source}</option>
            ))}
          </select>
        </label>
        <button type="button" className="primary" onClick={() => void download()} disabled={downloading}>
          Download CSV
        </button>
      </fieldset>
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
      <Show loaded={report}>
        {({ renewals, more, names }) => {
          const totals = totalsOf(renewals);
          return (
            <>
              <ul className="totals" aria-label="Totals" data-testid="renewal-totals">
                <li>
                  <strong>{totals.count}</strong> {totals.count === 1 ? 'renewal' : 'renewals'}
                  {more ? ' (first shown)' : ''}
                </li>
                {totals.revenue.map(([currency, amount]) => (
                  <li key={currency}>
                    <strong>{formatMoney(amount, currency || null)}</strong> revenue{currency ? ` in ${currency}` : ''}
                  </li>
                ))}
                {totals.unpriced > 0 ? (
                  <li>
                    <strong>{totals.unpriced}</strong> without a price
                  </li>
                ) : null}
              </ul>
              {more ? <p className="hint">The page shows the newest {renewals.length} renewals and their totals; the CSV has them all.</p> : null}
              {renewals.length === 0 ? (
                <Empty>No renewals in this period.</Empty>
              ) : (
                <TableWrap label="Renewals in the period">
                  <table>
                    <caption className="visually-hidden">Renewals in the period</caption>
                    <thead>
                      <tr>
                        <th scope="col">Renewed</th>
                        <th scope="col">License</th>
                        <th scope="col">Customer</th>
                        <th scope="col">Product</th>
                        <th scope="col">New term</th>
                        <th scope="col">Amount</th>
                        <th scope="col">Source</th>
                        <th scope="col">Reference</th>
                      </tr>
                    </thead>
                    <tbody>
                      {renewals.map((renewal) => (
                        <tr key={renewal.id}>
                          <td>{formatDate(renewal.at)}</td>
                          <td>
                            <Link to={`/console/licenses/${renewal.licenseId}`}>{names.get(renewal.licenseId) ?? renewal.licenseId}</Link>
                          </td>
                          <td>{customerName(renewal.customerId)}</td>
                          <td>{productName(renewal.productId)}</td>
                          <td>
                            {formatDate(renewal.fromExpiry)} → {formatDate(renewal.toExpiry)}
                          </td>
                          <td>{formatMoney(renewal.price, renewal.currency)}</td>
                          <td>{renewal.source}</td>
                          <td>{renewal.reference ?? '—'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
