import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { api, ApiError, type License } from '../api.js';
import { Empty, ErrorMessage, formatDate, messageOf, NotFoundPage, seats, Show, StatusBadge, useLoad } from '../ui.js';

type Action = 'suspend' | 'reinstate' | 'revoke';

export function LicenseDetail() {
  const { id = '' } = useParams();
  const location = useLocation();
  const createdKey = (location.state as { key?: string } | null)?.key;
  const loaded = useLoad(async () => {
    const license = await api.getLicense(id);
    const [machines, customer] = await Promise.all([api.listMachines(id), license.customerId ? api.getCustomer(license.customerId) : null]);
    return { license, machines, customer };
  }, id);
  const [updated, setUpdated] = useState<License | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmRevoke, setConfirmRevoke] = useState(false);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="license" back="/console/licenses" />;

  async function act(action: Action) {
    setBusy(true);
    setError(null);
    try {
      setUpdated(await api.licenseAction(id, action));
      setConfirmRevoke(false);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Show loaded={loaded}>
      {({ license: loadedLicense, machines, customer }) => {
        const license = updated?.id === loadedLicense.id ? updated : loadedLicense;
        return (
          <section aria-labelledby="license-title">
            <p>
              <Link to="/console/licenses">← Licenses</Link>
            </p>
            <h1 id="license-title">
              {license.name} <StatusBadge status={license.status} />
            </h1>
            {createdKey ? (
              <div className="notice" role="status">
                <p>The license was created. Its key is shown only now: copy it for the customer.</p>
                <code className="key" data-testid="license-key">
                  {createdKey}
                </code>
              </div>
            ) : null}
            <dl className="facts">
              <dt>Status</dt>
              <dd data-testid="license-status">{license.status}</dd>
              <dt>Key</dt>
              <dd>…{license.keyHint}</dd>
              <dt>Product</dt>
              <dd>{license.product}</dd>
              <dt>Type</dt>
              <dd>{license.type}</dd>
              <dt>Customer</dt>
              <dd>{customer ? <Link to={`/console/licenses?customerId=${customer.id}`}>{customer.name}</Link> : '—'}</dd>
              <dt>Starts</dt>
              <dd>{formatDate(license.startsAt)}</dd>
              <dt>Expires</dt>
              <dd>{formatDate(license.expiresAt, 'never')}</dd>
              <dt>Machines</dt>
              <dd>{seats(license)}</dd>
              {license.suspendedAt ? (
                <>
                  <dt>Suspended</dt>
                  <dd>{formatDate(license.suspendedAt)}</dd>
                </>
              ) : null}
              {license.revokedAt ? (
                <>
                  <dt>Revoked</dt>
                  <dd>{formatDate(license.revokedAt)}</dd>
                </>
              ) : null}
            </dl>
            {license.status === 'revoked' ? null : (
              <div className="actions" role="group" aria-label="License actions">
                {license.status === 'suspended' ? (
                  <button type="button" disabled={busy} onClick={() => void act('reinstate')}>
                    Reinstate
                  </button>
                ) : (
                  <button type="button" disabled={busy} onClick={() => void act('suspend')}>
                    Suspend
                  </button>
                )}
                {confirmRevoke ? (
                  <>
                    <span>Revoke for good? This cannot be undone.</span>
                    <button type="button" className="danger" disabled={busy} onClick={() => void act('revoke')}>
                      Yes, revoke
                    </button>
                    <button type="button" onClick={() => setConfirmRevoke(false)}>
                      Cancel
                    </button>
                  </>
                ) : (
                  <button type="button" className="danger" disabled={busy} onClick={() => setConfirmRevoke(true)}>
                    Revoke…
                  </button>
                )}
              </div>
            )}
            {error ? <ErrorMessage message={error} /> : null}
            <h2>Machines</h2>
            {machines.length === 0 ? (
              <Empty>No machine is activated.</Empty>
            ) : (
              <div className="table-wrap">
                <table>
                  <caption className="visually-hidden">Machines</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Fingerprint</th>
                      <th scope="col">Platform</th>
                      <th scope="col">Activated</th>
                      <th scope="col">Last heartbeat</th>
                    </tr>
                  </thead>
                  <tbody>
                    {machines.map((machine) => (
                      <tr key={machine.id}>
                        <td>{machine.name ?? machine.hostname ?? '—'}</td>
                        <td>
                          <code>{machine.fingerprint}</code>
                        </td>
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
        );
      }}
    </Show>
  );
}
