import { useState, type FormEvent } from 'react';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui/ui.js';
import { CopyButton } from '../ui/CopyButton.js';
import { settingsApi, type FaqEntryFull, type FaqInput, type Setting, type Settings as SettingsData, type SettingsPatch } from '../api/settings.js';

/** The rules the server checks (`updateSettings`), repeated so mistakes show before saving. */
const MAX_DAYS = 365;
const MAX_OFFSETS = 10;
const MAX_RECIPIENTS = 20;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

/** The vendor's settings: the public signing key, expiry reminders and staff alerts (the portal's FAQ has its own page). */
export function Settings() {
  const { me } = useSession();
  const canWrite = can(me, 'settings:write');
  const loaded = useLoad(() => settingsApi.getSettings(), 'settings');
  const [saved, setSaved] = useState<SettingsData | null>(null);
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {canWrite ? null : <p className="hint">Your role can see these settings; an owner or admin can change them.</p>}
      <PublicKeySection />
      <Show loaded={loaded}>
        {(initial) => {
          const settings = saved ?? initial;
          return (
            <>
              <RemindersSection settings={settings} canWrite={canWrite} onSaved={setSaved} />
              <AlertsSection settings={settings} canWrite={canWrite} onSaved={setSaved} />
            </>
          );
        }}
      </Show>
    </section>
  );
}

function PublicKeySection() {
  const loaded = useLoad(() => settingsApi.publicKey(), 'public-key');
  return (
    <section className="card" aria-labelledby="public-key-title">
      <h2 id="public-key-title">Public signing key</h2>
      <p>
        Every answer your applications get (validation, activation, license files, updates) is signed with this server&apos;s Ed25519 key. Build
        the public key into your application and give it to the SDK, which refuses anything it did not sign:{' '}
        <code>{'new KeyhavenClient({ baseUrl, publicKey })'}</code>. It is not a secret.
      </p>
      <Show loaded={loaded}>
        {(key) => (
          <>
            <dl className="facts">
              <dt>Key id</dt>
              <dd>
                <code data-testid="key-id">{key.keyId}</code>
              </dd>
              <dt>Algorithm</dt>
              <dd>{key.algorithm === 'ed25519' ? 'Ed25519' : key.algorithm}</dd>
            </dl>
            <div className="key-box">
              <label htmlFor="public-key-pem">Public key (PEM)</label>
              <textarea id="public-key-pem" className="mono-box" readOnly rows={4} value={key.pem.trim()} onFocus={(event) => event.currentTarget.select()} />
              <div className="actions">
                <CopyButton text={key.pem.trim()} label="Copy PEM" />
              </div>
              <label htmlFor="public-key-raw">
                Public key (base64, 32 bytes) <span className="hint">— the SDK takes either form</span>
              </label>
              <input id="public-key-raw" className="mono-box" readOnly value={key.publicKey} onFocus={(event) => event.currentTarget.select()} />
              <div className="actions">
                <CopyButton text={key.publicKey} label="Copy base64 key" />
              </div>
            </div>
          </>
        )}
      </Show>
    </section>
  );
}

/** "default" or "set by … on …", for one setting. */
function Source({ setting }: { setting: Setting<unknown> }) {
  return setting.source === 'default' ? (
    <span className="badge badge-default">default</span>
  ) : (
    <span className="source">
      <span className="badge badge-set">set</span>{' '}
      <span className="hint">
        by {setting.updatedBy ?? 'someone'} on {formatDate(setting.updatedAt)}
      </span>
    </span>
  );
}

interface SectionProps {
  settings: SettingsData;
  canWrite: boolean;
  onSaved(settings: SettingsData): void;
}

/**
 * Saving and resetting with one status line, shared by the two settings forms; `reset` starts the form
 * again from what the server now holds.
 */
function useSave(onSaved: (settings: SettingsData) => void, reset: (settings: SettingsData) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function save(patch: SettingsPatch, done: string) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const settings = await settingsApi.updateSettings(patch);
      onSaved(settings);
      reset(settings);
      setStatus(done);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }
  const messages = (
    <>
      {error ? <ErrorMessage message={error} /> : null}
      <p role="status" className={status ? 'success' : 'visually-hidden'}>
        {status ?? ''}
      </p>
    </>
  );
  return { busy, save, messages, setError };
}

function daysProblem(days: number[]): string | null {
  if (days.length > MAX_OFFSETS) return `At most ${MAX_OFFSETS} reminders.`;
  return null;
}

function RemindersSection({ settings, canWrite, onSaved }: SectionProps) {
  const [days, setDays] = useState<number[]>(settings.reminderDays.value);
  const [autoRenewing, setAutoRenewing] = useState(settings.remindAutoRenewing.value);
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, save, messages } = useSave(onSaved, (saved) => {
    setDays(saved.reminderDays.value);
    setAutoRenewing(saved.remindAutoRenewing.value);
  });

  function add(event?: { preventDefault(): void }) {
    event?.preventDefault();
    const text = draft.trim();
    const day = Number(text);
    if (text === '' || !Number.isInteger(day) || day < 1 || day > MAX_DAYS) return setProblem(`A reminder is a whole number of days from 1 to ${MAX_DAYS}.`);
    if (days.includes(day)) return setProblem(`${day} days is already in the list.`);
    if (days.length >= MAX_OFFSETS) return setProblem(`At most ${MAX_OFFSETS} reminders.`);
    setProblem(null);
    setDays([...days, day].sort((a, b) => b - a));
    setDraft('');
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const invalid = daysProblem(days);
    if (invalid) return setProblem(invalid);
    setProblem(null);
    await save({ reminderDays: days, remindAutoRenewing: autoRenewing }, 'Reminder settings saved. The next hourly reminder sweep uses them.');
  }

  const changed = JSON.stringify(days) !== JSON.stringify(settings.reminderDays.value) || autoRenewing !== settings.remindAutoRenewing.value;
  return (
    <section className="card" aria-labelledby="reminders-title">
      <h2 id="reminders-title">Expiry reminders</h2>
      <p className="hint">
        Customers get a reminder mail this many days before a license expires (once per license and term), and a notice when it has expired.
      </p>
      <form onSubmit={submit} aria-label="Expiry reminders" className="stack-form">
        <fieldset className="recipient-box">
          <legend>
            Days before expiry <Source setting={settings.reminderDays} />
          </legend>
          {days.length === 0 ? (
            <Empty>No reminders: only the expired notice is sent.</Empty>
          ) : (
            <ul className="chips" aria-label="Reminder days">
              {days.map((day) => (
                <li key={day}>
                  {day} {day === 1 ? 'day' : 'days'}
                  {canWrite ? (
                    <button type="button" className="chip-remove" aria-label={`Remove ${day} days`} onClick={() => setDays(days.filter((d) => d !== day))}>
                      ×
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          {canWrite ? (
            <div className="add-address">
              <label>
                Add a reminder (days)
                <input
                  type="number"
                  min={1}
                  max={MAX_DAYS}
                  step={1}
                  inputMode="numeric"
                  value={draft}
                  onChange={(event) => setDraft(event.target.value)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter') add(event);
                  }}
                />
              </label>
              <button type="button" onClick={() => add()} disabled={!draft.trim()}>
                Add
              </button>
            </div>
          ) : null}
          {problem ? <ErrorMessage message={problem} /> : null}
        </fieldset>
        <div>
          {canWrite ? (
            <label className="check">
              <input type="checkbox" checked={autoRenewing} onChange={(event) => setAutoRenewing(event.target.checked)} />
              Remind auto-renewing subscriptions too <Source setting={settings.remindAutoRenewing} />
            </label>
          ) : (
            <p className="plain-setting">
              Auto-renewing subscriptions are {settings.remindAutoRenewing.value ? 'reminded too' : 'not reminded'} <Source setting={settings.remindAutoRenewing} />
            </p>
          )}
        </div>
        {canWrite ? (
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !changed}>
              Save reminders
            </button>
            {settings.reminderDays.source === 'set' || settings.remindAutoRenewing.source === 'set' ? (
              <button
                type="button"
                disabled={busy}
                onClick={() => void save({ reminderDays: null, remindAutoRenewing: null }, `Reminders reset to the default (${settings.reminderDays.default.join(', ')} days).`)}
              >
                Reset to default
              </button>
            ) : null}
          </div>
        ) : null}
        {messages}
      </form>
    </section>
  );
}

function AlertsSection({ settings, canWrite, onSaved }: SectionProps) {
  const [emails, setEmails] = useState<string[]>(settings.alertEmails.value);
  const [days, setDays] = useState(String(settings.alertExpiryDays.value));
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, save, messages } = useSave(onSaved, (saved) => {
    setEmails(saved.alertEmails.value);
    setDays(String(saved.alertExpiryDays.value));
  });

  function add(event?: { preventDefault(): void }) {
    event?.preventDefault();
    const address = draft.trim().toLowerCase();
    if (!EMAIL.test(address) || address.length > 254) return setProblem(`"${draft.trim()}" is not an e-mail address.`);
    if (emails.includes(address)) return setProblem(`${address} is already in the list.`);
    if (emails.length >= MAX_RECIPIENTS) return setProblem(`At most ${MAX_RECIPIENTS} recipients.`);
    setProblem(null);
    setEmails([...emails, address]);
    setDraft('');
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1 || n > MAX_DAYS) return setProblem(`Days before expiry must be a whole number from 1 to ${MAX_DAYS}.`);
    setProblem(null);
    await save({ alertEmails: emails, alertExpiryDays: n }, 'Alert settings saved.');
  }

  const changed = JSON.stringify(emails) !== JSON.stringify(settings.alertEmails.value) || days !== String(settings.alertExpiryDays.value);
  return (
    <section className="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Staff alerts</h2>
      <p className="hint">
        Mailed to these addresses: a seat limit refusing an activation, usage credits used up, seat overdraft in use, and a digest of trials and
        licenses about to expire.
      </p>
      <form onSubmit={submit} aria-label="Staff alerts" className="stack-form">
        <fieldset className="recipient-box">
          <legend>
            Recipients <Source setting={settings.alertEmails} />
          </legend>
          {emails.length === 0 ? (
            <Empty>Nobody: alerts are recorded but not mailed.</Empty>
          ) : (
            <ul className="recipients" aria-label="Alert recipients">
              {emails.map((address) => (
                <li key={address}>
                  <span>{address}</span>
                  {canWrite ? (
                    <button type="button" aria-label={`Remove ${address}`} onClick={() => setEmails(emails.filter((a) => a !== address))}>
                      Remove
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          {canWrite ? (
            <div className="add-address">
              <label>
                Add a recipient
                <input
                  type="email"
                  maxLength={254}
                  autoComplete="off"
                  value={draft}
                  onChange={(event) => setDraft(event.target.value)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter') add(event);
                  }}
                />
              </label>
              <button type="button" onClick={() => add()} disabled={!draft.trim()}>
                Add
              </button>
            </div>
          ) : null}
        </fieldset>
        {canWrite ? (
          <label className="narrow">
            <span>
              Alert about licenses expiring within (days) <Source setting={settings.alertExpiryDays} />
            </span>
            <input type="number" min={1} max={MAX_DAYS} step={1} required value={days} onChange={(event) => setDays(event.target.value)} />
          </label>
        ) : (
          <p className="plain-setting">
            Alert about licenses expiring within {settings.alertExpiryDays.value} days <Source setting={settings.alertExpiryDays} />
          </p>
        )}
        {problem ? <ErrorMessage message={problem} /> : null}
        {canWrite ? (
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !changed}>
              Save alerts
            </button>
            {settings.alertEmails.source === 'set' || settings.alertExpiryDays.source === 'set' ? (
              <button type="button" disabled={busy} onClick={() => void save({ alertEmails: null, alertExpiryDays: null }, 'Alert settings reset to the defaults.')}>
                Reset to default
              </button>
            ) : null}
          </div>
        ) : null}
        {messages}
      </form>
    </section>
  );
}
