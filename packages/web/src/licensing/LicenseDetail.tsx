import { useState, type FormEvent } from 'react';
import { Link, useLocation, useParams } from 'react-router-dom';
import { api, ApiError, consoleApi, type License, type Machine } from '../api/api.js';
import { exportsApi } from '../api/exports.js';
import { licensingApi } from '../api/licensing.js';
import { holdingSeats, machineName, MachinesTable } from './MachinesTable.js';
import { can, useSession } from '../session.js';
import { SubscriptionSection } from './SubscriptionSection.js';
import { ErrorMessage, formatDate, messageOf, NotFoundPage, seats, Show, StatusBadge, useAction, useLoad } from '../ui/ui.js';
import { UsageTable } from './UsageTable.js';
import { CopyButton } from '../ui/CopyButton.js';
import { ExportCsvButton } from '../ui/ExportCsvButton.js';
import { formatDateTime } from '../ui/format.js';
import { LicenseEditForm } from './LicenseEdit.js';
import { LicenseHistory } from './LicenseHistory.js';
import { ValidationLog } from './ValidationLog.js';
import { LicenseUsers, RemindersList, TrialPanel, UpgradePanel } from './LicenseSections.js';
import { PartnerLink } from '../partners/PartnerFilter.js';

type Action = 'suspend' | 'reinstate' | 'revoke' | 'renew';

/** Saves text as a file through a temporary object URL. */
function saveText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function LicenseDetail() {
  const { id = '' } = useParams();
  const location = useLocation();
  const { me } = useSession();
  const created = location.state as { key?: string; mailedTo?: string; mailError?: string } | null;
  const createdKey = created?.key;
  const loaded = useLoad(async () => {
    const license = await licensingApi.getLicense(id);
    const [machines, customer, policies, product, reminders, usage, users] = await Promise.all([
      api.listMachines(id),
      license.customerId ? api.getCustomer(license.customerId) : null,
      api.listPolicies(license.productId),
      licensingApi.getTrialProduct(license.productId),
      licensingApi.listReminders(id),
      license.meters.length > 0 ? licensingApi.listUsage(id) : Promise.resolve([]),
      licensingApi.listUsers(id),
    ]);
    return { license, machines, customer, policies, product, reminders, usage, users };
  }, id);
  /** A change, then reloads the license, its machines and its history. */
  const { busy, error, notice, run } = useAction(() => {
    setConfirm(null);
    loaded.reload();
    setHistoryRound((round) => round + 1);
  });
  const [confirm, setConfirm] = useState<'revoke' | 'reset' | null>(null);
  const [revealed, setRevealed] = useState<{ id: string; key: string } | null>(null);
  const [historyRound, setHistoryRound] = useState(0);
  const [editing, setEditing] = useState(false);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="license" back="/console/licenses" />;

  const act = (action: Action) =>
    run(async () => {
      const license = action === 'renew' ? await consoleApi.renewLicense(id) : await api.licenseAction(id, action);
      return action === 'renew' ? `Renewed: the license now expires ${formatDate(license.expiresAt, 'never')}.` : null;
    });

  function extend(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const days = Number(new FormData(event.currentTarget).get('days'));
    void run(async () => {
      const license = await consoleApi.extendLicense(id, days);
      return `Extended by ${days} days: the license now expires ${formatDate(license.expiresAt, 'never')}.`;
    });
  }

  const sendKey = () =>
    run(async () => {
      const { to } = await licensingApi.sendKey(id);
      return `The key was mailed to ${to}.`;
    });

  const reveal = () =>
    run(async () => {
      setRevealed(await consoleApi.revealKey(id));
      return null;
    });

  const deactivate = (machine: Machine) =>
    run(async () => {
      await consoleApi.deactivateMachine(machine.id);
      return `${machineName(machine)} was deactivated; its seat is free.`;
    });

  const reset = () =>
    run(async () => {
      const { deactivated, borrowed } = await consoleApi.resetMachines(id);
      const kept = borrowed > 0 ? ` ${borrowed} kept: an offline license file for ${borrowed === 1 ? 'it' : 'them'} is out until it expires or is checked in.` : '';
      return `${deactivated} machine${deactivated === 1 ? '' : 's'} deactivated.${kept}`;
    });

  function offlineFile(event: FormEvent<HTMLFormElement>, license: License) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const fingerprint = String(form.get('fingerprint') ?? '');
    const ttlDays = Number(form.get('ttlDays'));
    void run(async () => {
      // Checkout takes the key, as a client would: revealing it is audited like any reveal.
      const key = revealed?.id === id ? revealed.key : (await consoleApi.revealKey(id)).key;
      const text = await consoleApi.checkoutLicenseFile({ key, fingerprint, ttlDays });
      saveText(`${license.name.replace(/[^A-Za-z0-9._-]+/g, '-') || 'license'}.lic`, text);
      return `License file for ${fingerprint} downloaded (usable offline for ${ttlDays} days at most; the machine keeps its seat until then).`;
    });
  }

  return (
    <Show loaded={loaded}>
      {({ license, machines, customer, policies, product, reminders, usage, users }) => {
        const mayChange = can(me, 'licenses:lifecycle');
        const mayWrite = can(me, 'licenses:write');
        const offlineMax = policies.find((p) => p.id === license.policyId)?.offlineMaxDays ?? 365;
        const mayWriteMachines = can(me, 'machines:write');
        const live = license.status !== 'revoked';
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
                <p>
                  The license was created. Its key is shown only now: copy it for the customer.
                  {created?.mailedTo ? ` The key was mailed to ${created.mailedTo}.` : ''}
                </p>
                {created?.mailError ? <ErrorMessage message={`The key could not be mailed: ${created.mailError}`} /> : null}
                <code className="key" data-testid="license-key">
                  {createdKey}
                </code>{' '}
                <CopyButton text={createdKey} label="Copy key" />
              </div>
            ) : null}
            <dl className="facts">
              <dt>Status</dt>
              <dd data-testid="license-status">{license.status}</dd>
              <dt>Key</dt>
              <dd>
                {revealed?.id === license.id ? (
                  <>
                    <code className="key" data-testid="revealed-key">
                      {revealed.key}
                    </code>{' '}
                    <CopyButton text={revealed.key} label="Copy key" />{' '}
                    <button type="button" onClick={() => setRevealed(null)}>
                      Hide
                    </button>
                  </>
                ) : (
                  <>
                    …{license.keyHint}{' '}
                    {can(me, 'licenses:reveal') ? (
                      <button type="button" disabled={busy} onClick={() => void reveal()}>
                        Reveal key
                      </button>
                    ) : null}
                  </>
                )}
              </dd>
              <dt>Product</dt>
              <dd>{license.product}</dd>
              <dt>Type</dt>
              <dd>{license.type}</dd>
              <dt>Customer</dt>
              <dd>{customer ? <Link to={`/console/licenses?customerId=${customer.id}`}>{customer.name}</Link> : '—'}</dd>
              {license.soldBy ? (
                <>
                  <dt>Sold by</dt>
                  <dd data-testid="license-sold-by">
                    <PartnerLink partnerId={license.soldBy} />
                  </dd>
                </>
              ) : null}
              <dt>Starts</dt>
              <dd>{formatDate(license.startsAt)}</dd>
              <dt>Expires</dt>
              <dd data-testid="license-expires">{formatDate(license.expiresAt, 'never')}</dd>
              <dt>Machines</dt>
              <dd data-testid="license-seats">{seats(license)}</dd>
              <dt>Features</dt>
              <dd data-testid="license-features">{license.features.length === 0 ? 'none' : license.features.join(', ')}</dd>
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
            {license.status === 'revoked' || !mayChange ? null : (
              <>
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
                  {license.expiresAt && !license.subscription ? (
                    <button type="button" disabled={busy} onClick={() => void act('renew')}>
                      Renew one term
                    </button>
                  ) : null}
                  {customer ? (
                    <button type="button" disabled={busy} onClick={() => void sendKey()}>
                      Mail the key to {customer.email}
                    </button>
                  ) : null}
                  {mayWrite && !editing ? (
                    <button type="button" disabled={busy} onClick={() => setEditing(true)}>
                      Edit license…
                    </button>
                  ) : null}
                  {!can(me, 'licenses:revoke') ? null : confirm === 'revoke' ? (
                    <>
                      <span>Revoke for good? This cannot be undone.</span>
                      <button type="button" className="danger" disabled={busy} onClick={() => void act('revoke')}>
                        Yes, revoke
                      </button>
                      <button type="button" onClick={() => setConfirm(null)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button type="button" className="danger" disabled={busy} onClick={() => setConfirm('revoke')}>
                      Revoke…
                    </button>
                  )}
                </div>
                {/* A perpetual license has no expiry to move (the API answers 422 LICENSE_PERPETUAL): set one in the edit form instead. */}
                {license.expiresAt ? (
                  <form className="inline-form compact" onSubmit={extend} aria-label="Extend license">
                    <label>
                      Extend by days
                      <input name="days" type="number" min={1} max={36500} step={1} required defaultValue={30} />
                    </label>
                    <button type="submit" disabled={busy}>
                      Extend
                    </button>
                  </form>
                ) : null}
              </>
            )}
            {notice ? (
              <p className="notice" role="status">
                {notice}
              </p>
            ) : null}
            {error ? <ErrorMessage message={error} /> : null}
            {editing && mayWrite ? <LicenseEditForm license={license} busy={busy} run={run} onDone={() => setEditing(false)} /> : null}
            {license.type === 'trial' && live ? (
              <TrialPanel license={license} product={product} policies={policies} mayExtend={mayChange} mayConvert={can(me, 'trials:write')} busy={busy} run={run} />
            ) : null}
            {license.subscription ? (
              <SubscriptionSection
                license={license}
                mayCancel={can(me, 'subscriptions:cancel')}
                mayOverride
                onChanged={() => {
                  loaded.reload();
                  setHistoryRound((round) => round + 1);
                }}
              >
                {mayChange && live && license.expiresAt ? (
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      void run(async () => {
                        const { license: renewed } = await licensingApi.renewSubscription(id);
                        return `Renewed: the subscription now runs until ${formatDate(renewed.expiresAt)}.`;
                      })
                    }
                  >
                    Renew now
                  </button>
                ) : null}
              </SubscriptionSection>
            ) : null}
            {mayWrite && live && license.type !== 'trial' ? <UpgradePanel license={license} policies={policies} busy={busy} run={run} /> : null}
            {usage.length > 0 ? (
              <>
                <h2>Usage</h2>
                <UsageTable usage={usage} />
              </>
            ) : null}
            {license.maxUsers !== null || users.length > 0 ? <LicenseUsers license={license} users={users} mayWrite={mayWriteMachines} busy={busy} run={run} /> : null}
            <h2>Machines</h2>
            {machines.length > holdingSeats(machines).length ? (
              <p className="hint" data-testid="lapsed-hint">
                {holdingSeats(machines).length} of {machines.length} listed machines hold a seat; the others' floating leases lapsed (their seats are free until they activate again).
              </p>
            ) : null}
            <MachinesTable
              machines={machines}
              detail="fingerprint"
              formatHeartbeat={(iso) => formatDateTime(iso)}
              {...(mayWriteMachines ? { onDeactivate: (machine: Machine) => void deactivate(machine) } : {})}
              busy={busy}
            />
            {machines.length === 0 ? null : <ExportCsvButton run={() => exportsApi.machines({ licenseId: license.id })} label="Export machines CSV" />}
            {machines.length === 0 ? null : (
              <>
                {mayChange ? (
                  <div className="actions">
                    {confirm === 'reset' ? (
                      <>
                        <span>Deactivate all {machines.length} machines?</span>
                        <button type="button" className="danger" disabled={busy} onClick={() => void reset()}>
                          Yes, reset
                        </button>
                        <button type="button" onClick={() => setConfirm(null)}>
                          Cancel
                        </button>
                      </>
                    ) : (
                      <button type="button" className="danger" disabled={busy} onClick={() => setConfirm('reset')}>
                        Reset all machines…
                      </button>
                    )}
                  </div>
                ) : null}
                {can(me, 'licenses:reveal') && license.status !== 'revoked' ? (
                  <details className="card">
                    <summary>Offline license file</summary>
                    <form className="inline-form" onSubmit={(event) => offlineFile(event, license)} aria-label="Offline license file">
                      <p className="hint span-all">
                        A signed file bound to one activated machine, for a machine that cannot reach this server. The machine keeps its seat until the
                        file expires (at most the policy's offline file lifetime) or the app checks it in. Machines whose floating lease lapsed hold no
                        seat and are not offered.
                      </p>
                      <label>
                        Machine
                        <select name="fingerprint" required defaultValue="">
                          <option value="" disabled>
                            Choose a machine
                          </option>
                          {holdingSeats(machines).map((machine) => (
                            <option key={machine.id} value={machine.fingerprint}>
                              {machine.name ?? machine.hostname ?? machine.fingerprint}
                            </option>
                          ))}
                        </select>
                      </label>
                      <label>
                        Usable offline for days
                        <input name="ttlDays" type="number" min={1} max={offlineMax} step={1} required defaultValue={Math.min(30, offlineMax)} />
                      </label>
                      <button type="submit" disabled={busy}>
                        Download license file
                      </button>
                    </form>
                  </details>
                ) : null}
              </>
            )}
            <RemindersList reminders={reminders} />
            {can(me, 'events:read') ? <ValidationLog scope={{ licenseId: license.id }} /> : null}
            <LicenseHistory licenseId={license.id} round={historyRound} />
          </section>
        );
      }}
    </Show>
  );
}
