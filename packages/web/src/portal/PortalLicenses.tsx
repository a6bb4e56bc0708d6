import { Link } from 'react-router-dom';
import { api, type License, type LicenseDetail, type Product, type Usage } from '../api/api.js';
import { useSession } from '../session.js';
import { Empty, formatDate, seats, Show, StatusBadge, TableWrap, useLoad } from '../ui/ui.js';
import { daysLeftText, expiryAlerts, SOON_DAYS } from './expiry.js';

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
  const loaded = useLoad(async () => {
    const [licenses, products, customer] = await Promise.all([
      api.allLicenses(),
      api.listProducts().catch((): Product[] => []),
      customerId ? api.getCustomer(customerId).catch(() => null) : null,
    ]);
    // Metered features: what each license has used of its limits (one read per metered license, at most 50).
    const metered = licenses.filter((l) => ((l as Partial<LicenseDetail>).meters?.length ?? 0) > 0).slice(0, 50);
    const usage = new Map<string, Usage[]>(
      await Promise.all(metered.map(async (l) => [l.id, await api.licenseUsage(l.id).catch((): Usage[] => [])] as const)),
    );
    return { licenses, products, customer, usage };
  }, 'portal-licenses');

  return (
    <Show loaded={loaded}>
      {({ licenses, products, customer, usage }) => {
        const productName = (license: License) => products.find((p) => p.id === license.productId)?.name ?? license.product;
        return (
          <section aria-labelledby="portal-title">
            <h1 id="portal-title">{customer ? `${customer.name}: licenses` : 'Your licenses'}</h1>
            <ExpiryBanner licenses={licenses} productName={productName} />
            {licenses.length === 0 ? (
              <Empty>Your organization holds no licenses yet.</Empty>
            ) : (
              <TableWrap label="Your organization's licenses">
                <table>
                  <caption className="visually-hidden">Your organization's licenses</caption>
                  <thead>
                    <tr>
                      <th scope="col">Product</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
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
