import { useState, type FormEvent } from 'react';
import type { Policy } from '../api/api.js';
import { licensingApi, type FullLicense, type LicenseUser, type Reminder, type TrialProduct } from '../api/licensing.js';
import { Empty, formatDate, TableWrap } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';
import { ConvertTrialForm, TrialDayButtons } from './TrialActions.js';

/** Runs one change of the license page (busy, messages, reload); the change returns the message to show. */
export type RunChange = (change: () => Promise<string | null>) => Promise<void>;

const featureList = (features: string[]) => (features.length === 0 ? 'none' : features.join(', '));
/** Feature names typed as a list: commas, spaces or new lines between them. */
const parseFeatures = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** A trial license: extend by one of the product's trial lengths, or convert it to a paid policy. */
export function TrialPanel({
  license,
  product,
  policies,
  mayExtend,
  mayConvert,
  busy,
  run,
}: {
  license: FullLicense;
  product: TrialProduct;
  policies: Policy[];
  mayExtend: boolean;
  mayConvert: boolean;
  busy: boolean;
  run: RunChange;
}) {
  const extend = (days: number) =>
    run(async () => {
      const changed = await licensingApi.extendTrial(license.id, days);
      return `Trial extended by ${days} days: it now ends ${formatDate(changed.expiresAt)}.`;
    });
  const convert = (policyId: string, keepExpiry: boolean) =>
    run(async () => {
      const changed = await licensingApi.convertTrial(license.id, policyId, keepExpiry);
      const policy = policies.find((p) => p.id === policyId);
      return `Converted to ${policy?.name ?? 'a paid policy'} (type ${changed.type}); the key stays the same and the license ${changed.expiresAt ? `expires ${formatDate(changed.expiresAt)}` : 'does not expire'}.`;
    });
  if (!mayExtend && !mayConvert) return null;
  return (
    <section className="card" aria-labelledby="trial-title">
      <h2 id="trial-title">Trial</h2>
      {mayExtend ? (
        <>
          <p className="hint">Extend from the current end (or from today once it has passed):</p>
          <TrialDayButtons durations={product.trialDurations} preset={product.trialPreset} busy={busy} verb="Extend" subject="trial" onPick={(days) => void extend(days)} />
        </>
      ) : null}
      {mayConvert ? (
        <>
          <h3>Convert to paid</h3>
          <ConvertTrialForm policies={policies.filter((p) => p.kind !== 'trial')} busy={busy} onConvert={(policyId, keepExpiry) => void convert(policyId, keepExpiry)} />
        </>
      ) : null}
    </section>
  );
}

/** Upgrades: add or remove features, add a seat pack, move to another policy of the product (confirmed). */
export function UpgradePanel({ license, policies, busy, run }: { license: FullLicense; policies: Policy[]; busy: boolean; run: RunChange }) {
  const [pendingPolicy, setPendingPolicy] = useState<{ policyId: string; keepExpiry: boolean } | null>(null);
  const others = policies.filter((p) => p.id !== license.policyId && p.kind !== 'trial');

  function addFeatures(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const features = parseFeatures(String(new FormData(form).get('features') ?? ''));
    if (features.length === 0) return;
    void run(async () => {
      const changed = await licensingApi.addFeatures(license.id, features);
      form.reset();
      return `Features added. The license's features: ${featureList(changed.features)}.`;
    });
  }
  function removeFeature(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const feature = String(new FormData(event.currentTarget).get('feature') ?? '');
    if (!feature) return;
    void run(async () => {
      const changed = await licensingApi.removeFeatures(license.id, [feature]);
      return `${feature} removed. The license's features: ${featureList(changed.features)}.`;
    });
  }
  function addSeats(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const seats = Number(new FormData(event.currentTarget).get('seats'));
    void run(async () => {
      const changed = await licensingApi.addSeats(license.id, seats);
      return `${seats} seat${seats === 1 ? '' : 's'} added: the license now allows ${changed.maxMachines ?? 'unlimited'} machines.`;
    });
  }
  function askPolicy(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPendingPolicy({ policyId: String(form.get('policyId')), keepExpiry: form.get('keepExpiry') === 'on' });
  }
  const changePolicy = (choice: { policyId: string; keepExpiry: boolean }) =>
    run(async () => {
      const changed = await licensingApi.changePolicy(license.id, choice.policyId, choice.keepExpiry);
      setPendingPolicy(null);
      const policy = policies.find((p) => p.id === choice.policyId);
      return `Moved to ${policy?.name ?? 'the policy'}: type ${changed.type}, ${changed.maxMachines ?? 'unlimited'} machines, features ${featureList(changed.features)}, ${changed.expiresAt ? `expires ${formatDate(changed.expiresAt)}` : 'no expiry'}.`;
    });
  const pendingName = pendingPolicy ? policies.find((p) => p.id === pendingPolicy.policyId)?.name : undefined;

  return (
    <section className="card" aria-labelledby="upgrade-title">
      <h2 id="upgrade-title">Upgrade</h2>
      <p className="hint">Each change is recorded in the history. Open the one you need.</p>
      <div className="upgrade-grid">
        <details className="fold">
          <summary>Add features</summary>
          <form onSubmit={addFeatures} aria-label="Add features">
            <label>
              Features to add <span className="hint">(separated by commas or spaces)</span>
              <input name="features" required maxLength={2000} />
            </label>
            <button type="submit" disabled={busy}>
              Add features
            </button>
          </form>
        </details>
        <details className="fold">
          <summary>Remove a feature</summary>
          <form onSubmit={removeFeature} aria-label="Remove a feature">
            {license.features.length === 0 ? (
              <p className="hint">The license has no features.</p>
            ) : (
              <>
                <label>
                  Feature
                  <select name="feature" required defaultValue="">
                    <option value="" disabled>
                      Choose a feature
                    </option>
                    {license.features.map((feature) => (
                      <option key={feature}>{feature}</option>
                    ))}
                  </select>
                </label>
                <button type="submit" className="danger" disabled={busy}>
                  Remove feature
                </button>
              </>
            )}
          </form>
        </details>
        <details className="fold">
          <summary>Add seats</summary>
          <form onSubmit={addSeats} aria-label="Add seats">
            {license.maxMachines === null ? (
              <p className="hint">The license has no seat limit.</p>
            ) : (
              <>
                <label>
                  Seats to add <span className="hint">(now {license.maxMachines})</span>
                  <input name="seats" type="number" min={1} max={1_000_000} step={1} required defaultValue={1} />
                </label>
                <button type="submit" disabled={busy}>
                  Add seats
                </button>
              </>
            )}
          </form>
        </details>
        <details className="fold">
          <summary>Change policy</summary>
          <form onSubmit={askPolicy} aria-label="Change policy">
            {others.length === 0 ? (
              <p className="hint">The product has no other paid policy.</p>
            ) : (
              <>
                <label>
                  New policy
                  <select name="policyId" required defaultValue="">
                    <option value="" disabled>
                      Choose a policy
                    </option>
                    {others.map((policy) => (
                      <option key={policy.id} value={policy.id}>
                        {policy.name} ({policy.kind})
                      </option>
                    ))}
                  </select>
                </label>
                <label className="filter">
                  <input type="checkbox" name="keepExpiry" defaultChecked /> Keep the current expiry
                </label>
                <button type="submit" disabled={busy || pendingPolicy !== null}>
                  Change policy…
                </button>
              </>
            )}
          </form>
        </details>
      </div>
      {pendingPolicy ? (
        <div className="actions" role="group" aria-label="Confirm policy change">
          <span>
            Move the license to {pendingName ?? 'this policy'}? It takes the policy's terms (type, seats, features){pendingPolicy.keepExpiry ? '; the expiry stays' : ' and starts a new term today'}. The key stays the same.
          </span>
          <button type="button" className="primary" disabled={busy} onClick={() => void changePolicy(pendingPolicy)}>
            Yes, change policy
          </button>
          <button type="button" disabled={busy} onClick={() => setPendingPolicy(null)}>
            Cancel
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** The expiry reminders the license was sent (`listLicenseReminders`). */
export function RemindersList({ reminders }: { reminders: Reminder[] }) {
  return (
    <>
      <h2>Reminders sent</h2>
      {reminders.length === 0 ? (
        <Empty>No expiry reminder was sent for this license.</Empty>
      ) : (
        <TableWrap label="Reminders sent">
          <table>
            <caption className="visually-hidden">Reminders sent</caption>
            <thead>
              <tr>
                <th scope="col">Sent</th>
                <th scope="col">Reminder</th>
                <th scope="col">For the term ending</th>
              </tr>
            </thead>
            <tbody>
              {reminders.map((reminder) => (
                <tr key={`${reminder.expiresAt}-${reminder.offset}`}>
                  <td>{formatDateTime(reminder.sentAt)}</td>
                  <td>{reminder.offset === 0 ? 'expired notice' : `${reminder.offset} day${reminder.offset === 1 ? '' : 's'} before expiry`}</td>
                  <td>{formatDate(reminder.expiresAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}

/** Named users of a per-user license: list, add (up to maxUsers), remove (their machines are deactivated). */
export function LicenseUsers({ license, users, mayWrite, busy, run }: { license: FullLicense; users: LicenseUser[]; mayWrite: boolean; busy: boolean; run: RunChange }) {
  function add(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const identifier = String(data.get('identifier') ?? '').trim();
    const name = String(data.get('name') ?? '').trim();
    void run(async () => {
      const user = await licensingApi.addUser(license.id, { identifier, ...(name ? { name } : {}) });
      form.reset();
      return `${user.identifier} is now a user of this license.`;
    });
  }
  const remove = (user: LicenseUser) =>
    run(async () => {
      await licensingApi.removeUser(license.id, user.id);
      return `${user.identifier} was removed; their machines were deactivated.`;
    });
  return (
    <>
      <h2>Users</h2>
      <p className="hint">
        {users.length} of {license.maxUsers ?? 'unlimited'} named users; each may activate up to {license.maxMachines ?? 'unlimited'} machines.
      </p>
      {users.length === 0 ? (
        <Empty>No user is named yet.</Empty>
      ) : (
        <TableWrap label="License users">
          <table>
            <caption className="visually-hidden">License users</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Name</th>
                <th scope="col">Added</th>
                {mayWrite ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id}>
                  <td>{user.identifier}</td>
                  <td>{user.name ?? '—'}</td>
                  <td>{formatDate(user.createdAt)}</td>
                  {mayWrite ? (
                    <td>
                      <button type="button" className="danger" disabled={busy} aria-label={`Remove ${user.identifier}`} onClick={() => void remove(user)}>
                        Remove
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {mayWrite ? (
        <form className="inline-form compact" onSubmit={add} aria-label="Add user">
          <label>
            E-mail or user name
            <input name="identifier" required maxLength={320} />
          </label>
          <label>
            Name <span className="hint">(optional)</span>
            <input name="name" maxLength={200} />
          </label>
          <button type="submit" disabled={busy}>
            Add user
          </button>
        </form>
      ) : null}
    </>
  );
}
