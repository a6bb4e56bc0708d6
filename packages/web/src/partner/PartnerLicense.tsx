import { useState } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { api, ApiError, consoleApi } from '../api/api.js';
import { licensingApi } from '../api/licensing.js';
import { can, useSession } from '../session.js';
import { CopyButton } from '../ui/CopyButton.js';
import { ResourceTable } from '../ui/resource.js';
import { Empty, ErrorMessage, formatDate, NotFoundPage, seats, Show, StatusBadge, useAction, useLoad } from '../ui/ui.js';
import { partnerMessage, usePartner } from './partner-context.js';

/**
 * One license of the partner: status, key (shown once after creation; revealed again only where the role
 * allows), machines, and the actions its rights on the license's product allow. A refusal shows the API's
 * message, which names the missing right.
 */
export function PartnerLicense() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const view = usePartner();
  const created = (useLocation().state ?? {}) as { key?: string };
  const [key, setKey] = useState<string | null>(created.key ?? null);
  const loaded = useLoad(async () => {
    const [license, machines] = await Promise.all([api.getLicense(id), api.listMachines(id)]);
    return { license, machines };
  }, id);
  const action = useAction();
  const [days, setDays] = useState(30);

  /** One action at a time; a refusal shows in the partner's words (a quota) or the API's (naming the missing right). */
  async function run(change: () => Promise<string | null>) {
    action.setBusy(true);
    action.setError(null);
    action.setNotice(null);
    try {
      action.setNotice(await change());
      loaded.reload();
    } catch (caught) {
      action.setError(partnerMessage(caught));
    } finally {
      action.setBusy(false);
    }
  }

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="license" back="/partner/licenses" />;
  return (
    <Show loaded={loaded}>
      {({ license, machines }) => {
        const rights = view.rightsOn(license.productId);
        const revoked = license.status === 'revoked';
        const subscription = license.subscription;
        return (
          <section aria-labelledby="partner-license-title">
            <p>
              <Link to="/partner/licenses">← Licenses</Link>
            </p>
            <h1 id="partner-license-title">
              {license.name} <StatusBadge status={license.status} />
            </h1>
            <dl className="facts">
              <dt>Product</dt>
              <dd>{license.product}</dd>
              <dt>Customer</dt>
              <dd>{license.customerId ? <Link to={`/partner/customers/${license.customerId}`}>Open the customer</Link> : '—'}</dd>
              <dt>Key</dt>
              <dd>
                {key ? (
                  <>
                    <code className="key" data-testid="license-key">
                      {key}
                    </code>{' '}
                    <CopyButton text={key} label="Copy key" />
                  </>
                ) : (
                  <>
                    …{license.keyHint}{' '}
                    {can(me, 'licenses:reveal') ? (
                      <button type="button" onClick={() => void run(async () => (setKey((await api.revealKey(license.id)).key), null))}>
                        Reveal key
                      </button>
                    ) : null}
                  </>
                )}
              </dd>
              <dt>Machines</dt>
              <dd>{seats(license)}</dd>
              <dt>Expires</dt>
              <dd data-testid="license-expires">{formatDate(license.expiresAt, 'never')}</dd>
              {license.contractId ? (
                <>
                  <dt>Contract</dt>
                  <dd>drawn from a contract of your partner</dd>
                </>
              ) : null}
              {subscription ? (
                <>
                  <dt>Subscription</dt>
                  <dd>{subscription.cancelledAt ? `cancelled ${formatDate(subscription.cancelledAt)}` : `renews ${formatDate(subscription.renewsAt, '—')}`}</dd>
                </>
              ) : null}
            </dl>
            {revoked ? null : (
              <section className="card" aria-labelledby="license-actions-title">
                <h2 id="license-actions-title">Actions</h2>
                <div className="actions">
                  {rights.has('licenses:extend') ? (
                    <>
                      <label>
                        Days
                        <input type="number" min={1} max={3650} value={days} onChange={(event) => setDays(Number(event.target.value))} />
                      </label>
                      <button type="button" disabled={action.busy} onClick={() => void run(async () => `Extended: it now expires ${formatDate((await consoleApi.extendLicense(license.id, days)).expiresAt, 'never')}.`)}>
                        Extend
                      </button>
                      <button type="button" disabled={action.busy} onClick={() => void run(async () => `Renewed: it now expires ${formatDate((await consoleApi.renewLicense(license.id)).expiresAt, 'never')}.`)}>
                        Renew
                      </button>
                    </>
                  ) : null}
                  {rights.has('licenses:suspend') ? (
                    license.status === 'suspended' ? (
                      <button type="button" disabled={action.busy} onClick={() => void run(async () => (await api.licenseAction(license.id, 'reinstate'), 'Reinstated.'))}>
                        Reinstate
                      </button>
                    ) : (
                      <button type="button" disabled={action.busy} onClick={() => void run(async () => (await api.licenseAction(license.id, 'suspend'), 'Suspended.'))}>
                        Suspend
                      </button>
                    )
                  ) : null}
                  {rights.has('subscriptions:cancel') && subscription && !subscription.cancelledAt ? (
                    <button type="button" disabled={action.busy} onClick={() => void run(async () => (await licensingApi.cancelSubscription(license.id), 'The subscription is cancelled: it ends at the end of its term.'))}>
                      Cancel subscription
                    </button>
                  ) : null}
                  {rights.has('licenses:revoke') ? (
                    <button
                      type="button"
                      className="danger"
                      disabled={action.busy}
                      onClick={() => {
                        if (window.confirm(`Revoke ${license.name}? It stops working at once, for good.`)) void run(async () => (await api.licenseAction(license.id, 'revoke'), 'Revoked.'));
                      }}
                    >
                      Revoke
                    </button>
                  ) : null}
                </div>
                {[...rights].some((r) => ['licenses:extend', 'licenses:suspend', 'licenses:revoke', 'subscriptions:cancel'].includes(r)) ? null : (
                  <p className="hint">Your partner holds no right to change licenses of this product.</p>
                )}
                {action.notice ? (
                  <p className="notice" role="status">
                    {action.notice}
                  </p>
                ) : null}
                {action.error ? <ErrorMessage message={action.error} /> : null}
              </section>
            )}
            <h2>Machines</h2>
            {machines.length === 0 ? (
              <Empty>No machine is activated.</Empty>
            ) : (
              <ResourceTable
                caption="Machines"
                rows={machines}
                columns={[
                  { header: 'Machine', cell: (m) => m.name ?? m.hostname ?? m.fingerprint },
                  { header: 'Platform', cell: (m) => m.platform ?? '—' },
                  { header: 'Last seen', cell: (m) => formatDate(m.lastHeartbeatAt ?? m.activatedAt) },
                ]}
              />
            )}
          </section>
        );
      }}
    </Show>
  );
}
