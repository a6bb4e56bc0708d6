import { Link } from 'react-router-dom';
import { api, LICENSE_STATUSES } from '../api/api.js';
import { Show, useLoad } from '../ui/ui.js';
import { RecentEvents } from './Events.js';

/** A horizontal bar per row, scaled to the largest value; the numbers are text, the bars decoration. */
function Bars({ rows, label }: { rows: Array<{ key: string; label: string; value: number; to: string }>; label: string }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <ul className="bars" aria-label={label}>
      {rows.map((r) => (
        <li key={r.key}>
          <Link to={r.to}>
            <span className="bar-label">{r.label}</span>
            <span className="bar-track" aria-hidden="true">
              <span className="bar-fill" style={{ width: `${(r.value / max) * 100}%` }} />
            </span>
            <span className="bar-value" data-testid={`count-${r.key}`}>
              {r.value}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function Dashboard() {
  const loaded = useLoad(() => api.overview(), 'dashboard');

  return (
    <section aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Dashboard</h1>
      <Show loaded={loaded}>
        {(o) => (
          <>
            <ul className="tiles">
              <li className="tile tile-warn">
                <Link to="/console/licenses?status=active&expiring=30">
                  <span className="tile-number" data-testid="count-expiring">
                    {o.licenses.expiringIn30Days}
                  </span>
                  <span className="tile-label">Active, expiring within 30 days</span>
                </Link>
              </li>
              <li className="tile">
                <span className="tile-number" data-testid="count-seats">
                  {o.seats.inUse}
                </span>
                <span className="tile-label">
                  Seats in use{o.seats.limit > 0 ? ` of ${o.seats.limit}` : ''}
                  {o.seats.unlimitedLicenses > 0 ? ` (+${o.seats.unlimitedLicenses} unlimited licenses)` : ''}
                </span>
              </li>
              <li className="tile">
                <span className="tile-number" data-testid="count-trials">
                  {o.trials.active}
                </span>
                <span className="tile-label">Active trials, {o.trials.endingIn7Days} ending within 7 days</span>
              </li>
            </ul>
            <h2>Licenses by status</h2>
            <Bars
              label="Licenses by status"
              rows={LICENSE_STATUSES.map((status) => ({ key: status, label: status, value: o.licenses[status], to: `/console/licenses?status=${status}` }))}
            />
            {o.byProduct.length > 0 && (
              <>
                <h2>Licenses by product</h2>
                <Bars
                  label="Licenses by product"
                  rows={o.byProduct.map((p) => ({ key: `product-${p.code}`, label: p.name, value: p.licenses, to: `/console/licenses?productId=${encodeURIComponent(p.productId)}` }))}
                />
              </>
            )}
          </>
        )}
      </Show>
      <RecentEvents />
    </section>
  );
}
