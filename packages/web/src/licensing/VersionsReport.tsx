import { useSearchParams } from 'react-router-dom';
import { api } from '../api/api.js';
import { validationsApi } from '../api/validations.js';
import { Empty, FilterSelect, Show, TableWrap, useLoad } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';

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

/**
 * Versions in the field (`getVersionsReport`): per app version reported by validations and update checks in
 * a period (the last 30 days unless chosen), how many licenses and machines used it and when it was last seen.
 */
export function VersionsReport() {
  const [params, setParams] = useSearchParams();
  const productId = params.get('productId') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const products = useLoad(() => api.listProducts(), 'products');
  const report = useLoad(
    // The "to" day is included: the API's `to` is exclusive, so the period ends at the next midnight.
    () => validationsApi.versionsReport({ productId: productId || undefined, from: startOf(from), to: startOf(to, 1) }),
    `${productId}|${from}|${to}`,
  );

  function setFilter(name: 'productId' | 'from' | 'to', value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  return (
    <section aria-labelledby="versions-title">
      <h1 id="versions-title">Versions in the field</h1>
      <p className="hint">
        The application versions that validations and update checks reported, with the licenses and machines that used each. Apps that send no version are not counted. The period is the last 30
        days unless chosen; it includes both its first and its last day.
      </p>
      <fieldset className="filters">
        <legend>Period and product</legend>
        <FilterSelect label="Product" value={productId} onChange={(value) => setFilter('productId', value)} options={(products.data ?? []).map((p) => ({ value: p.id, label: p.name }))} />
        <label>
          From
          <input type="date" value={from} max={to || day(new Date())} onChange={(event) => setFilter('from', event.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} min={from || undefined} onChange={(event) => setFilter('to', event.target.value)} />
        </label>
      </fieldset>
      <Show loaded={report}>
        {(answer) => (
          <>
            <p className="hint" data-testid="versions-period">
              From {formatDateTime(answer.from)} to {formatDateTime(answer.to)}
            </p>
            {answer.data.length === 0 ? (
              <Empty>No version was reported in this period.</Empty>
            ) : (
              <TableWrap label="Versions in the field">
                <table data-testid="versions-report">
                  <caption className="visually-hidden">Versions in the field</caption>
                  <thead>
                    <tr>
                      <th scope="col">Version</th>
                      <th scope="col">Licenses</th>
                      <th scope="col">Machines</th>
                      <th scope="col">Last seen</th>
                    </tr>
                  </thead>
                  <tbody>
                    {answer.data.map((use) => (
                      <tr key={use.version}>
                        <td>{use.version}</td>
                        <td>{use.licenses.toLocaleString()}</td>
                        <td>{use.fingerprints.toLocaleString()}</td>
                        <td>{formatDateTime(use.lastSeenAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </>
        )}
      </Show>
    </section>
  );
}
