import { Link } from 'react-router-dom';
import { api, type License, type Product } from '../api.js';
import { useSession } from '../session.js';
import { Empty, formatDate, seats, Show, StatusBadge, useLoad } from '../ui.js';
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

export function PortalLicenses() {
  const { me } = useSession();
  const customerId = me?.actor.customerId ?? null;
  const loaded = useLoad(async () => {
    const [licenses, products, customer] = await Promise.all([
      api.allLicenses(),
      api.listProducts().catch((): Product[] => []),
      customerId ? api.getCustomer(customerId).catch(() => null) : null,
    ]);
    return { licenses, products, customer };
  }, 'portal-licenses');

  return (
    <Show loaded={loaded}>
      {({ licenses, products, customer }) => {
        const productName = (license: License) => products.find((p) => p.id === license.productId)?.name ?? license.product;
        return (
          <section aria-labelledby="portal-title">
            <h1 id="portal-title">{customer ? `${customer.name}: licenses` : 'Your licenses'}</h1>
            <ExpiryBanner licenses={licenses} productName={productName} />
            {licenses.length === 0 ? (
              <Empty>Your organization holds no licenses yet.</Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <caption className="visually-hidden">Your organization's licenses</caption>
                  <thead>
                    <tr>
                      <th scope="col">Product</th>
                      <th scope="col">Type</th>
                      <th scope="col">Status</th>
                      <th scope="col">Seats used</th>
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
                        <td>{seats(license)}</td>
                        <td>{formatDate(license.expiresAt, 'never')}</td>
                        <td>{daysLeftText(license)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        );
      }}
    </Show>
  );
}
