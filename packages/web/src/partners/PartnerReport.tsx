import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { partnersApi } from '../api/partners.js';
import { formatMoney, saveFile } from '../api/ops.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, TableWrap, useLoad } from '../ui/ui.js';
import { PartnerFilter, usePartners } from './PartnerFilter.js';

/**
 * The partner report (batch invoicing): per partner, the subscriptions active on a chosen day, and the
 * licenses created and renewed in a period; each as CSV too. Days are calendar days in UTC, as the API
 * counts them. A partner is credited with what it sold and with what the vendor sold to its customers.
 */

const FILTERS = ['day', 'from', 'to', 'partnerId'] as const;

/** A UTC calendar day as yyyy-mm-dd. */
const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/** A CSV download button: fetches with the session's bearer token and saves the text as a file. */
function CsvButton({ label, fileName, load }: { label: string; fileName: string; load: () => Promise<string> }) {
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function download() {
    setBusy(true);
    setNotice(null);
    setError(null);
    try {
      saveFile(fileName, await load(), 'text/csv');
      setNotice('CSV downloaded.');
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" onClick={() => void download()} disabled={busy}>
        {label}
      </button>
      {notice ? (
        <span className="success" role="status">
          {notice}
        </span>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </>
  );
}

export function PartnerReport() {
  const [params, setParams] = useSearchParams();
  const today = new Date();
  const defaults: Record<(typeof FILTERS)[number], string> = {
    day: utcDay(today),
    from: utcDay(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1))),
    to: utcDay(today),
    partnerId: '',
  };
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || defaults[name]])) as typeof defaults;
  const partnerId = filter.partnerId || undefined;
  const partners = usePartners();
  const active = useLoad(() => partnersApi.activeSubscriptions({ day: filter.day, partnerId }), `active|${filter.day}|${filter.partnerId}`);
  const activity = useLoad(() => partnersApi.activity({ from: filter.from, to: filter.to, partnerId }), `activity|${filter.from}|${filter.to}|${filter.partnerId}`);

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  return (
    <section aria-labelledby="partner-report-title">
      <h1 id="partner-report-title">Partner report</h1>
      <p className="hint">
        What each partner is credited with: the licenses it sold, and those the vendor sold to its customers. Days are calendar days in UTC.
      </p>
      <fieldset className="filters">
        <legend>Partner</legend>
        <PartnerFilter label="Partner" value={filter.partnerId} onChange={(value) => setFilter('partnerId', value)} partners={partners} />
      </fieldset>

      <section aria-labelledby="active-title">
        <h2 id="active-title">Active subscriptions</h2>
        <fieldset className="filters">
          <legend>Day</legend>
          <label>
            Active on
            <input type="date" value={filter.day} required onChange={(event) => setFilter('day', event.target.value)} />
          </label>
          <CsvButton
            label="Download active subscriptions (CSV)"
            fileName={`partner-active-subscriptions-${filter.day}.csv`}
            load={() => partnersApi.exportActiveSubscriptions({ day: filter.day, partnerId })}
          />
        </fieldset>
        <Show loaded={active}>
          {(report) =>
            report.partners.length === 0 ? (
              <Empty>No partner had an active subscription on {report.day}.</Empty>
            ) : (
              <ul className="report-partners" aria-label={`Active subscriptions on ${report.day}`}>
                {report.partners.map((partner) => (
                  <li key={partner.partnerId} data-testid={`active-${partner.partnerId}`}>
                    <details>
                      <summary>
                        <strong>{partner.partnerName}</strong>: <span data-testid="active-count">{partner.activeSubscriptions}</span>{' '}
                        {partner.activeSubscriptions === 1 ? 'active subscription' : 'active subscriptions'}
                      </summary>
                      <TableWrap label={`Active subscriptions of ${partner.partnerName}`}>
                        <table>
                          <caption className="visually-hidden">Active subscriptions of {partner.partnerName}</caption>
                          <thead>
                            <tr>
                              <th scope="col">License</th>
                              <th scope="col">Customer</th>
                              <th scope="col">Product</th>
                              <th scope="col">Credited as</th>
                              <th scope="col">Term started</th>
                              <th scope="col">Expires</th>
                              <th scope="col">Price per term</th>
                            </tr>
                          </thead>
                          <tbody>
                            {partner.licenses.map((license) => (
                              <tr key={license.licenseId}>
                                <td>
                                  <Link to={`/console/licenses/${license.licenseId}`}>{license.licenseId}</Link>
                                  {license.suspended ? <span className="badge badge-suspended">suspended</span> : null}
                                </td>
                                <td>{license.customerId ? <Link to={`/console/customers/${license.customerId}`}>{license.customerName ?? license.customerId}</Link> : '—'}</td>
                                <td>{license.productName}</td>
                                <td>{license.creditedAs === 'sold' ? 'sold by the partner' : "vendor's sale to its customer"}</td>
                                <td>{formatDate(license.termStartsAt)}</td>
                                <td>{formatDate(license.expiresAt, 'never')}</td>
                                <td>{formatMoney(license.price, license.currency)}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </TableWrap>
                    </details>
                  </li>
                ))}
              </ul>
            )
          }
        </Show>
      </section>

      <section aria-labelledby="activity-title">
        <h2 id="activity-title">Activity</h2>
        <fieldset className="filters">
          <legend>Period</legend>
          <label>
            From
            <input type="date" value={filter.from} max={filter.to} required onChange={(event) => setFilter('from', event.target.value)} />
          </label>
          <label>
            To
            <input type="date" value={filter.to} min={filter.from} required onChange={(event) => setFilter('to', event.target.value)} />
          </label>
          <CsvButton
            label="Download activity (CSV)"
            fileName={`partner-activity-${filter.from}-to-${filter.to}.csv`}
            load={() => partnersApi.exportActivity({ from: filter.from, to: filter.to, partnerId })}
          />
        </fieldset>
        <Show loaded={activity}>
          {(report) =>
            report.partners.length === 0 ? (
              <Empty>No partner activity in this period.</Empty>
            ) : (
              <TableWrap label="Partner activity in the period">
                <table data-testid="partner-activity">
                  <caption className="visually-hidden">Partner activity from {report.from} to {report.to}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Partner</th>
                      <th scope="col">Licenses created</th>
                      <th scope="col">Of them trials</th>
                      <th scope="col">Renewals</th>
                      <th scope="col">Renewal amounts</th>
                    </tr>
                  </thead>
                  <tbody>
                    {report.partners.map((partner) => (
                      <tr key={partner.partnerId}>
                        <th scope="row">
                          <Link to={`/console/partners/${partner.partnerId}`}>{partner.partnerName}</Link>
                        </th>
                        <td>{partner.licensesCreated}</td>
                        <td>{partner.trialsCreated}</td>
                        <td>{partner.renewals}</td>
                        <td>{partner.renewalAmounts.length ? partner.renewalAmounts.map((amount) => formatMoney(amount.amount, amount.currency)).join(', ') : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )
          }
        </Show>
      </section>
    </section>
  );
}
