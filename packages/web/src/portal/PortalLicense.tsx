import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, type LicenseDetail, type Machine } from '../api/api.js';
import { licensingApi } from '../api/licensing.js';
import { MachinesTable } from '../licensing/MachinesTable.js';
import { SubscriptionSection } from '../licensing/SubscriptionSection.js';
import { Empty, ErrorMessage, formatDate, messageOf, NotFoundPage, seats, Show, StatusBadge, useLoad } from '../ui/ui.js';
import { UsageTable } from '../licensing/UsageTable.js';
import { ValidationLog } from '../licensing/ValidationLog.js';
import { daysLeftText } from './expiry.js';
import { machineName, useIsOrgAdmin } from './portal-ui.js';
import { AllocationControl, allocationText, loadPeople } from './tickets.js';
import { useSession } from '../session.js';

/** The full key, shown on request to organization admins (`licenses:reveal`); a 403 shows the API's message. */
function KeyReveal({ license }: { license: LicenseDetail }) {
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function reveal() {
    setBusy(true);
    setError(null);
    try {
      setKey((await api.revealKey(license.id)).key);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }
  if (key) return <code className="key" data-testid="license-key">{key}</code>;
  return (
    <span className="actions inline-actions">
      <span>…{license.keyHint}</span>
      <button type="button" onClick={() => void reveal()} disabled={busy}>
        {busy ? 'Revealing…' : 'Reveal key'}
      </button>
      {error ? <ErrorMessage message={error} /> : null}
    </span>
  );
}

/** The machines table with the organization admin's action: deactivate, after a confirmation. */
function PortalMachinesTable({ machines, canDeactivate, onChanged }: { machines: Machine[]; canDeactivate: boolean; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  async function deactivate(machine: Machine) {
    if (!window.confirm(`Deactivate ${machineName(machine)}? Its seat becomes free and the application stops working there.`)) return;
    setBusyId(machine.id);
    setError(null);
    try {
      await api.deactivateMachine(machine.id);
      onChanged();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusyId(null);
    }
  }
  return (
    <>
      {error ? <ErrorMessage message={error} /> : null}
      <MachinesTable
        machines={machines}
        detail="hostname"
        emptyText="No machine is activated on this license."
        {...(canDeactivate ? { onDeactivate: (machine: Machine) => void deactivate(machine) } : {})}
        busy={busyId ?? false}
      />
    </>
  );
}

export function PortalLicense() {
  const { id = '' } = useParams();
  const isAdmin = useIsOrgAdmin();
  const { me } = useSession();
  const loaded = useLoad(async () => {
    const license = await licensingApi.getLicense(id);
    const [machines, usage, people] = await Promise.all([
      api.listMachines(id),
      license.meters.length > 0 ? api.licenseUsage(id) : Promise.resolve([]),
      loadPeople(me),
    ]);
    return { license, machines, usage, people };
  }, id);

  // The API answers 404 for another organization's license as for one that does not exist: show no data.
  if (loaded.error instanceof ApiError && (loaded.error.status === 404 || loaded.error.status === 403)) {
    return <NotFoundPage what="license" back="/portal" />;
  }

  return (
    <Show loaded={loaded}>
      {({ license, machines, usage, people }) => (
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
            <dd>{isAdmin ? <KeyReveal license={license} /> : <>…{license.keyHint}</>}</dd>
            <dt>Seats used</dt>
            <dd>{seats(license)}</dd>
            <dt>Starts</dt>
            <dd>{formatDate(license.startsAt)}</dd>
            <dt>Expires</dt>
            <dd>{formatDate(license.expiresAt, 'never')}</dd>
            <dt>Days left</dt>
            <dd>{daysLeftText(license)}</dd>
            <dt>Allocated to</dt>
            <dd data-testid="allocation">{allocationText(license.allocation, people)}</dd>
          </dl>
          <AllocationControl
            key={`${license.allocation.groupId}:${license.allocation.userId}`}
            licenseId={license.id}
            allocation={license.allocation}
            people={people}
            organizationAdmin={isAdmin}
            onChanged={loaded.reload}
          />
          {license.subscription ? (
            <SubscriptionSection
              license={license}
              mayCancel={isAdmin}
              mayOverride={false}
              onChanged={loaded.reload}
              readOnlyHint="An administrator of your organization can cancel or resume the subscription."
            />
          ) : null}
          <h2>Features</h2>
          {license.features.length === 0 ? (
            <Empty>This license names no extra features.</Empty>
          ) : (
            <ul className="chips" aria-label="Features">
              {license.features.map((feature) => (
                <li key={feature}>
                  <code>{feature}</code>
                </li>
              ))}
            </ul>
          )}
          {usage.length > 0 ? (
            <>
              <h2>Usage</h2>
              <UsageTable usage={usage} />
            </>
          ) : null}
          <h2>Machines</h2>
          {!isAdmin && machines.length > 0 ? <p className="hint">An administrator of your organization can deactivate machines to free their seats.</p> : null}
          <PortalMachinesTable machines={machines} canDeactivate={isAdmin} onChanged={loaded.reload} />
          {/* Organization admins read their license's validation log (listValidations: events:read, scoped to the organization). */}
          {isAdmin ? <ValidationLog scope={{ licenseId: license.id }} /> : null}
        </section>
      )}
    </Show>
  );
}
