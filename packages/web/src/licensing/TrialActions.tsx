import { useState, type FormEvent, type ReactNode } from 'react';
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

/**
 * Convert a trial to a paid policy of its product: the key stays, a new term starts now unless kept. `fields`
 * adds fields that depend on the chosen policy (the partner face's contract to draw from); `onConvert` gets the
 * form to read them.
 */
export function ConvertTrialForm({
  policies,
  busy,
  onConvert,
  onClose,
  fields,
  none = 'The product has no paid policy to convert to: create one first.',
}: {
  /** The product's paid (non-trial) policies. */
  policies: Policy[];
  busy: boolean;
  onConvert: (policyId: string, keepExpiry: boolean, form: FormData) => void;
  onClose?: () => void;
  fields?: (policyId: string) => ReactNode;
  /** What is said when the product has no paid policy. */
  none?: string;
}) {
  const [policyId, setPolicyId] = useState(policies.length === 1 ? policies[0]!.id : '');
  if (policies.length === 0) return <p className="hint">{none}</p>;
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    onConvert(policyId, form.get('keepExpiry') === 'on', form);
  }
  return (
    <form className="inline-form compact" onSubmit={submit} aria-label="Convert trial">
      <label>
        Paid policy
        <select name="policyId" required value={policyId} onChange={(event) => setPolicyId(event.target.value)}>
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
      {fields?.(policyId)}
      <label className="filter">
        <input type="checkbox" name="keepExpiry" /> Keep the trial's end date
      </label>
      <button type="submit" className="primary" disabled={busy || policyId === ''}>
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
