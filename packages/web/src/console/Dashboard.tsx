import { Link } from 'react-router-dom';
import { api, LICENSE_STATUSES, type LicenseStatus } from '../api.js';
import { Show, useLoad } from '../ui.js';

const PAGES = 10;

/** How many licenses match, paging through at most 1,000 (then "1000+"). */
async function count(query: { status?: LicenseStatus; expiresBefore?: string }): Promise<string> {
  let total = 0;
  let cursor: string | null = null;
  for (let page = 0; page < PAGES; page++) {
    const answer = await api.listLicenses({ ...query, limit: 100, cursor });
    total += answer.data.length;
    cursor = answer.nextCursor;
    if (!cursor) return String(total);
  }
  return `${total}+`;
}

export function Dashboard() {
  const loaded = useLoad(async () => {
    const in30Days = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const [byStatus, expiring] = await Promise.all([
      Promise.all(LICENSE_STATUSES.map(async (status) => [status, await count({ status })] as const)),
      count({ status: 'active', expiresBefore: in30Days }),
    ]);
    return { byStatus, expiring };
  }, 'dashboard');

  return (
    <section aria-labelledby="dashboard-title">
      <h1 id="dashboard-title">Dashboard</h1>
      <Show loaded={loaded}>
        {({ byStatus, expiring }) => (
          <>
            <h2>Licenses by status</h2>
            <ul className="tiles">
              {byStatus.map(([status, n]) => (
                <li key={status} className="tile">
                  <Link to={`/console/licenses?status=${status}`}>
                    <span className="tile-number" data-testid={`count-${status}`}>
                      {n}
                    </span>
                    <span className="tile-label">{status}</span>
                  </Link>
                </li>
              ))}
              <li className="tile tile-warn">
                <Link to="/console/licenses?status=active&expiring=30">
                  <span className="tile-number" data-testid="count-expiring">
                    {expiring}
                  </span>
                  <span className="tile-label">active, expiring within 30 days</span>
                </Link>
              </li>
            </ul>
          </>
        )}
      </Show>
    </section>
  );
}
