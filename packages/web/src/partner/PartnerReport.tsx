import { useState } from 'react';
import { saveFile } from '../api/ops.js';
import { partnerApi } from '../api/partner.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, TableWrap, useLoad } from '../ui/ui.js';
import { usePartner } from './partner-context.js';

const today = () => new Date().toISOString().slice(0, 10);
const monthStart = () => `${today().slice(0, 8)}01`;

/** The partner's own report (the API gives a partner admin its own partner's rows only): active subscriptions on a day, activity in a period, as CSV too. */
export function PartnerReport() {
  const { partner } = usePartner();
  const [day, setDay] = useState(today());
  const [from, setFrom] = useState(monthStart());
  const [to, setTo] = useState(today());
  const [error, setError] = useState<string | null>(null);
  const loaded = useLoad(async () => {
    const [active, activity] = await Promise.all([partnerApi.activeSubscriptions({ day, partnerId: partner.id }), partnerApi.activity({ from, to, partnerId: partner.id })]);
    return { active: active.partners[0], activity: activity.partners[0] };
  }, `${day}|${from}|${to}`);

  async function csv(which: 'active' | 'activity') {
    setError(null);
    try {
      if (which === 'active') saveFile(`subscriptions-${day}.csv`, await partnerApi.exportActiveSubscriptions({ day, partnerId: partner.id }), 'text/csv');
      else saveFile(`activity-${from}-${to}.csv`, await partnerApi.exportActivity({ from, to, partnerId: partner.id }), 'text/csv');
    } catch (caught) {
      setError(messageOf(caught));
    }
  }

  return (
    <section aria-labelledby="partner-report-title">
      <h1 id="partner-report-title">Report</h1>
      <fieldset className="filters">
        <legend>Period</legend>
        <label>
          Active on
          <input type="date" value={day} onChange={(event) => setDay(event.target.value)} />
        </label>
        <label>
          Activity from
          <input type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          to
          <input type="date" value={to} onChange={(event) => setTo(event.target.value)} />
        </label>
      </fieldset>
      {error ? <ErrorMessage message={error} /> : null}
      <Show loaded={loaded}>
        {({ active, activity }) => (
          <>
            <section className="card" aria-labelledby="active-title">
              <h2 id="active-title">Active subscriptions on {formatDate(day)}</h2>
              <p data-testid="active-subscriptions">{active?.activeSubscriptions ?? 0} active subscriptions</p>
              {active && active.licenses.length > 0 ? (
                <TableWrap label="Active subscriptions">
                  <table>
                    <caption className="visually-hidden">Active subscriptions</caption>
                    <thead>
                      <tr>
                        <th scope="col">Customer</th>
                        <th scope="col">Product</th>
                        <th scope="col">Credited as</th>
                        <th scope="col">Expires</th>
                      </tr>
                    </thead>
                    <tbody>
                      {active.licenses.map((line) => (
                        <tr key={line.licenseId}>
                          <td>{line.customerName ?? '—'}</td>
                          <td>{line.productName}</td>
                          <td>{line.creditedAs}</td>
                          <td>{formatDate(line.expiresAt, 'never')}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableWrap>
              ) : (
                <Empty>No active subscription that day.</Empty>
              )}
              <button type="button" onClick={() => void csv('active')}>
                Download CSV
              </button>
            </section>
            <section className="card" aria-labelledby="activity-title">
              <h2 id="activity-title">
                Activity {formatDate(from)} – {formatDate(to)}
              </h2>
              <p data-testid="activity">
                {activity?.licensesCreated ?? 0} licenses created (of them {activity?.trialsCreated ?? 0} trials), {activity?.renewals ?? 0} renewals
              </p>
              <button type="button" onClick={() => void csv('activity')}>
                Download activity CSV
              </button>
            </section>
          </>
        )}
      </Show>
    </section>
  );
}
