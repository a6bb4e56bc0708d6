import { Link, useSearchParams } from 'react-router-dom';
import { portalApi } from '../api/portal.js';
import { api, type License, type LicenseDetail, type Product, type Usage } from '../api/api.js';
import { useSession } from '../session.js';
import { Empty, formatDate, seats, Show, StatusBadge, TableWrap, useLoad } from '../ui/ui.js';
import { daysLeftText, expiryAlerts, SOON_DAYS } from './expiry.js';
import { allocationText, loadPeople } from './tickets.js';

type View = 'mine' | 'all';

function ExpiryBanner({ licenses, productName }: { licenses: License[]; productName: (l: License) => string }) {
  const { expired, soon } = expiryAlerts(licenses);
  if (expired.length === 0 && soon.length === 0) return null;
  return (
    <div className="banner" role="alert" data-testid="expiry-banner">
      {expired.length > 0 ? (
        <p>
          <strong>
            {expired.length} license{expired.length === 1 ? ' has' : 's have'} expired:
          </strong>{' '}
          {expired.map((l) => productName(l)).join(', ')}. Contact your vendor to renew.
        </p>
      ) : null}
      {soon.length > 0 ? (
        <p>
          <strong>
            {soon.length} license{soon.length === 1 ? '' : 's'} expire{soon.length === 1 ? 's' : ''} within {SOON_DAYS} days:
          </strong>{' '}
          {soon.map((l) => `${productName(l)} (${daysLeftText(l)} left)`).join(', ')}.
        </p>
      ) : null}
    </div>
  );
}

/** "feature: used of limit" per metered feature; a dash for a license without meters. */
function UsageSummary({ usage }: { usage: Usage[] | undefined }) {
  if (!usage || usage.length === 0) return <>—</>;
  return (
    <ul className="plain">
      {usage.map((u) => (
        <li key={u.feature}>
          {u.feature}: {u.used}
          {u.limit === null ? '' : ` of ${u.limit}`}
        </li>
      ))}
    </ul>
  );
}

export function PortalLicenses() {
  const { me } = useSession();
  const customerId = me?.actor.customerId ?? null;
  // A member (a person) starts on its own tickets; admins, and API tokens (no person), on everything.
  const [params, setParams] = useSearchParams();
  const person = me?.user != null;
  const view: View = (params.get('view') as View | null) ?? (person && me?.actor.role === 'customer-member' ? 'mine' : 'all');
  const loaded = useLoad(async () => {
    const [licenses, products, customer, people] = await Promise.all([
      view === 'mine' ? portalApi.myTickets() : api.allLicenses(),
      api.listProducts().catch((): Product[] => []),
      customerId ? api.getCustomer(customerId).catch(() => null) : null,
      loadPeople(me),
    ]);
    // Metered features: what each license has used of its limits (one read per metered license, at most 50).
    const metered = licenses.filter((l) => ((l as Partial<LicenseDetail>).meters?.length ?? 0) > 0).slice(0, 50);
    const usage = new Map<string, Usage[]>(
      await Promise.all(metered.map(async (l) => [l.id, await api.licenseUsage(l.id).catch((): Usage[] => [])] as const)),
    );
    return { licenses, products, customer, usage, people };
  }, `portal-licenses-${view}`);

  return (
    <Show loaded={loaded}>
      {({ licenses, products, customer, usage, people }) => {
        const productName = (license: License) => products.find((p) => p.id === license.productId)?.name ?? license.product;
        return (
          <section aria-labelledby="portal-title">
            <h1 id="portal-title">{customer ? `${customer.name}: licenses` : 'Your licenses'}</h1>
            {person ? (
              <div className="actions" role="group" aria-label="Which licenses">
                {(['mine', 'all'] as const).map((option) => (
                  <button key={option} type="button" aria-pressed={view === option} className={view === option ? 'primary' : ''} onClick={() => setParams({ view: option })}>
                    {option === 'mine' ? 'My tickets' : 'All licenses I can see'}
                  </button>
                ))}
              </div>
            ) : null}
            <ExpiryBanner licenses={licenses} productName={productName} />
            {licenses.length === 0 ? (
              <Empty>{view === 'mine' ? 'No license is allocated to you by name.' : 'Your organization holds no licenses yet.'}</Empty>
            ) : (
              <TableWrap label={view === 'mine' ? 'My tickets' : "Your organization's licenses"}>
                <table>
                  <caption className="visually-hidden">{view === 'mine' ? 'My tickets' : "Your organization's licenses"}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Product</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
                      <th scope="col">Allocated to</th>
                      <th scope="col">Usage</th>
                      <th scope="col">Seats used</th>
                      <th scope="col">Created</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Days left</th>
                    </tr>
                  </thead>
                  <tbody>
                    {licenses.map((license) => (
                      <tr key={license.id}>
                        <td>
                          <Link to={`/portal/licenses/${license.id}`}>{productName(license)}</Link>
                          {license.name !== productName(license) ? <span className="hint"> {license.name}</span> : null}
                        </td>
                        <td>{license.type}</td>
                        <td>
                          <StatusBadge status={license.status} />
                        </td>
                        <td>{allocationText(license.allocation, people)}</td>
                        <td>
                          <UsageSummary usage={usage.get(license.id)} />
                        </td>
                        <td>{seats(license)}</td>
                        <td>{formatDate(license.createdAt)}</td>
                        <td>{formatDate(license.expiresAt, 'never')}</td>
                        <td>{daysLeftText(license)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </section>
        );
      }}
    </Show>
  );
}
