import { Link, useParams } from 'react-router-dom';
import { api, ApiError } from '../api.js';
import { Empty, formatDate, NotFoundPage, seats, Show, StatusBadge, useLoad } from '../ui.js';
import { daysLeftText } from './expiry.js';

export function PortalLicense() {
  const { id = '' } = useParams();
  const loaded = useLoad(async () => {
    const license = await api.getLicense(id);
    const machines = await api.listMachines(id);
    return { license, machines };
  }, id);

  // The API answers 404 for another organization's license as for one that does not exist: show no data.
  if (loaded.error instanceof ApiError && (loaded.error.status === 404 || loaded.error.status === 403)) {
    return <NotFoundPage what="license" back="/portal" />;
  }

  return (
    <Show loaded={loaded}>
      {({ license, machines }) => (
        <section aria-labelledby="license-title">
          <p>
            <Link to="/portal">← Your licenses</Link>
          </p>
          <h1 id="license-title">
            {license.name} <StatusBadge status={license.status} />
          </h1>
          <dl className="facts">
            <dt>Product</dt>
            <dd>{license.product}</dd>
            <dt>Type</dt>
            <dd>{license.type}</dd>
            <dt>Key</dt>
            <dd>…{license.keyHint}</dd>
            <dt>Seats used</dt>
            <dd>{seats(license)}</dd>
            <dt>Starts</dt>
            <dd>{formatDate(license.startsAt)}</dd>
            <dt>Expires</dt>
            <dd>{formatDate(license.expiresAt, 'never')}</dd>
            <dt>Days left</dt>
            <dd>{daysLeftText(license)}</dd>
          </dl>
          <h2>Machines</h2>
          {machines.length === 0 ? (
            <Empty>No machine is activated on this license.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Machines</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Platform</th>
                    <th scope="col">Activated</th>
                    <th scope="col">Last heartbeat</th>
                  </tr>
                </thead>
                <tbody>
                  {machines.map((machine) => (
                    <tr key={machine.id}>
                      <td>{machine.name ?? machine.hostname ?? machine.fingerprint}</td>
                      <td>{machine.platform ?? '—'}</td>
                      <td>{formatDate(machine.activatedAt)}</td>
                      <td>{formatDate(machine.lastHeartbeatAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </Show>
  );
}
