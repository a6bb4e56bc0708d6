import type { FormEvent } from 'react';
import type { Policy } from '../api/api.js';

/** The product's trial lengths as buttons; the preset is marked as the default. */
export function TrialDayButtons({
  durations,
  preset,
  busy,
  verb,
  subject,
  onPick,
}: {
  durations: number[];
  preset: number;
  busy: boolean;
  /** "Start" or "Extend": the accessible names read "Extend Acme trial by 30 days". */
  verb: 'Start' | 'Extend';
  subject: string;
  onPick: (days: number) => void;
}) {
  return (
    <div className="actions preset-buttons" role="group" aria-label={`${verb} ${subject}`}>
      {durations.map((days) => (
        <button
          key={days}
          type="button"
          className={days === preset ? 'primary' : undefined}
          disabled={busy}
          aria-label={verb === 'Start' ? `Start a trial of ${days} days` : `Extend ${subject} by ${days} days`}
          onClick={() => onPick(days)}
        >
          {verb === 'Start' ? `${days} days` : `+${days} days`}
          {days === preset ? <span className="visually-hidden"> (default)</span> : null}
        </button>
      ))}
    </div>
  );
}

/** Convert a trial to a paid policy of its product: the key stays, a new term starts now unless kept. */
export function ConvertTrialForm({
  policies,
  busy,
  onConvert,
  onClose,
}: {
  /** The product's paid (non-trial) policies. */
  policies: Policy[];
  busy: boolean;
  onConvert: (policyId: string, keepExpiry: boolean) => void;
  onClose?: () => void;
}) {
  if (policies.length === 0) return <p className="hint">The product has no paid policy to convert to: create one first.</p>;
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    onConvert(String(form.get('policyId')), form.get('keepExpiry') === 'on');
  }
  return (
    <form className="inline-form compact" onSubmit={submit} aria-label="Convert trial">
      <label>
        Paid policy
        <select name="policyId" required defaultValue={policies.length === 1 ? policies[0]!.id : ''}>
          <option value="" disabled>
            Choose a policy
          </option>
          {policies.map((policy) => (
            <option key={policy.id} value={policy.id}>
              {policy.name} ({policy.kind})
            </option>
          ))}
        </select>
      </label>
      <label className="filter">
        <input type="checkbox" name="keepExpiry" /> Keep the trial's end date
      </label>
      <button type="submit" className="primary" disabled={busy}>
        Convert to paid
      </button>
      {onClose ? (
        <button type="button" onClick={onClose}>
          Close
        </button>
      ) : null}
    </form>
  );
}
