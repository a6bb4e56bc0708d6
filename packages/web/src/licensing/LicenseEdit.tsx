import { useState, type FormEvent } from 'react';
import { licensingApi, NOTES_MAX_LENGTH, type FullLicense, type LicenseEdit } from '../api/licensing.js';
import { StaffNotes } from '../ui/resource.js';
import type { RunChange } from './LicenseSections.js';

interface Entry {
  key: string;
  value: string;
}

/** A metadata value as text: strings as they are, anything else as JSON (read back the same way). */
const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The text of a value back as data: what was JSON stays JSON when its text did not change. */
function asValue(text: string, before: unknown): unknown {
  if (before !== undefined && typeof before !== 'string' && text === asText(before)) return before;
  return text;
}

/** The yyyy-mm-dd of an ISO time, as a date input shows it (UTC, as the API stores it). */
const dateOf = (iso: string | null) => (iso ? iso.slice(0, 10) : '');

/**
 * Edits what `updateLicense` changes by hand: name, staff notes, expiry, seats and metadata. Only changed
 * fields are sent; the API checks them (an expiry before the start, notes over the limit) and its message is shown.
 */
export function LicenseEditForm({ license, busy, run, onDone }: { license: FullLicense; busy: boolean; run: RunChange; onDone: () => void }) {
  const [entries, setEntries] = useState<Entry[]>(Object.entries(license.metadata).map(([key, value]) => ({ key, value: asText(value) })));
  const setEntry = (index: number, field: keyof Entry, value: string) => setEntries((list) => list.map((entry, i) => (i === index ? { ...entry, [field]: value } : entry)));

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: LicenseEdit = {};
    const name = String(form.get('name') ?? '').trim();
    if (name !== license.name) body.name = name;
    const notes = String(form.get('notes') ?? '');
    if ((notes || null) !== (license.notes || null)) body.notes = notes || null;
    const expires = String(form.get('expiresAt') ?? '');
    if (expires !== dateOf(license.expiresAt)) {
      // A new day keeps the old time of day (the term's anchor); a first expiry ends the day.
      body.expiresAt = expires ? `${expires}T${license.expiresAt ? license.expiresAt.slice(11) : '23:59:59.000Z'}` : null;
    }
    const seatsText = String(form.get('maxMachines') ?? '').trim();
    const seats = seatsText === '' ? null : Number(seatsText);
    if (seats !== license.maxMachines) body.maxMachines = seats;
    const metadata = Object.fromEntries(entries.filter((entry) => entry.key.trim()).map((entry) => [entry.key.trim(), asValue(entry.value, license.metadata[entry.key.trim()])]));
    if (JSON.stringify(metadata) !== JSON.stringify(license.metadata)) body.metadata = metadata;
    void run(async () => {
      if (Object.keys(body).length === 0) return 'Nothing changed.';
      await licensingApi.updateLicense(license.id, body);
      onDone();
      return `Saved: ${Object.keys(body).join(', ')}.`;
    });
  }

  return (
    <form className="card stack-form" onSubmit={save} aria-label="Edit license">
      <h2>Edit license</h2>
      <div className="row">
        <label>
          Name
          <input name="name" required maxLength={200} defaultValue={license.name} />
        </label>
        <label>
          Expires <span className="hint">(empty: never)</span>
          <input name="expiresAt" type="date" defaultValue={dateOf(license.expiresAt)} />
        </label>
        <label>
          Seats <span className="hint">(empty: unlimited)</span>
          <input name="maxMachines" type="number" min={0} max={1_000_000} step={1} defaultValue={license.maxMachines ?? ''} />
        </label>
      </div>
      <StaffNotes limit={NOTES_MAX_LENGTH} defaultValue={license.notes} />
      <fieldset className="group">
        <legend>Metadata</legend>
        {entries.length === 0 ? <p className="hint">No metadata.</p> : null}
        {entries.map((entry, index) => (
          <div className="row" key={index}>
            <label>
              Metadata key {index + 1}
              <input maxLength={64} value={entry.key} onChange={(event) => setEntry(index, 'key', event.target.value)} />
            </label>
            <label>
              Metadata value {index + 1}
              <input maxLength={2000} value={entry.value} onChange={(event) => setEntry(index, 'value', event.target.value)} />
            </label>
            <button type="button" onClick={() => setEntries((list) => list.filter((_, i) => i !== index))}>
              Remove {entry.key || `entry ${index + 1}`}
            </button>
          </div>
        ))}
        <button type="button" disabled={entries.length >= 64} onClick={() => setEntries((list) => [...list, { key: '', value: '' }])}>
          Add metadata
        </button>
      </fieldset>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save license
        </button>
        <button type="button" disabled={busy} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
