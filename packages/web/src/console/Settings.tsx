import { useState, type FormEvent } from 'react';
import { api, type Product } from '../api.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, formatDate, messageOf, Show, useLoad } from '../ui.js';
import { CopyButton } from './CopyButton.js';
import { settingsApi, type FaqEntryFull, type FaqInput, type Setting, type Settings as SettingsData, type SettingsPatch } from './settings-api.js';

/** The rules the server checks (`updateSettings`), repeated so mistakes show before saving. */
const MAX_DAYS = 365;
const MAX_OFFSETS = 10;
const MAX_RECIPIENTS = 20;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

/** The vendor's settings: the public signing key, expiry reminders, staff alerts and the portal's FAQ. */
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
      <FaqSection canWrite={canWrite} />
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

/** Question, Markdown answer, product and published: the fields of the new-entry and edit forms. */
function FaqFields({ entry, products }: { entry?: FaqEntryFull; products: Product[] }) {
  return (
    <>
      <label>
        Question
        <input name="question" required maxLength={500} defaultValue={entry?.question ?? ''} />
      </label>
      <label>
        Answer <span className="hint">(Markdown: **bold**, lists, [links](https://…); raw HTML is shown as text)</span>
        <textarea name="answer" required className="short" defaultValue={entry?.answer ?? ''} />
      </label>
      <div className="row">
        <label>
          Shown with
          <select name="productId" defaultValue={entry?.productId ?? ''}>
            <option value="">Every customer (general)</option>
            {products.map((product) => (
              <option key={product.id} value={product.id}>
                {product.name}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" name="published" defaultChecked={entry?.published ?? true} />
          Published (customers see it)
        </label>
      </div>
    </>
  );
}

function faqInput(form: FormData): FaqInput {
  const productId = String(form.get('productId') ?? '');
  return { question: String(form.get('question') ?? '').trim(), answer: String(form.get('answer') ?? ''), productId: productId || null, published: form.get('published') === 'on' };
}

function FaqSection({ canWrite }: { canWrite: boolean }) {
  const [round, setRound] = useState(0);
  const loaded = useLoad(() => settingsApi.listFaq(), `faq-${round}`);
  const products = useLoad(() => api.listProducts(), 'products');
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);

  async function run(action: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await action();
      setStatus(done);
      setRound((r) => r + 1);
      return true;
    } catch (caught) {
      setError(messageOf(caught));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const input = faqInput(new FormData(event.currentTarget));
    if (await run(() => settingsApi.createFaq(input), `Added "${input.question}".`)) setFormKey((k) => k + 1);
  }

  async function update(event: FormEvent<HTMLFormElement>, entry: FaqEntryFull) {
    event.preventDefault();
    const input = faqInput(new FormData(event.currentTarget));
    if (await run(() => settingsApi.updateFaq(entry.id, input), `Saved "${input.question}".`)) setEditing(null);
  }

  /** Moves an entry one place up or down: positions are renumbered 10, 20, … and only the changed ones are sent. */
  async function move(entries: FaqEntryFull[], index: number, by: -1 | 1) {
    const order = [...entries];
    const [entry] = order.splice(index, 1);
    order.splice(index + by, 0, entry!);
    await run(async () => {
      for (const [i, e] of order.entries()) if (e.position !== (i + 1) * 10) await settingsApi.updateFaq(e.id, { position: (i + 1) * 10 });
    }, `Moved "${entry!.question}" ${by < 0 ? 'up' : 'down'}.`);
  }

  const productList = products.data ?? [];
  const productName = (id: string | null) => (id === null ? 'General' : (productList.find((p) => p.id === id)?.name ?? id));
  return (
    <section className="card faq-admin" aria-labelledby="faq-admin-title">
      <h2 id="faq-admin-title">Portal FAQ</h2>
      <p className="hint">The questions customers read on the portal&apos;s FAQ page, in this order. Answers are Markdown; below is how the portal shows them.</p>
      {error ? <ErrorMessage message={error} /> : null}
      <p role="status" className={status ? 'success' : 'visually-hidden'}>
        {status ?? ''}
      </p>
      <Show loaded={loaded}>
        {(entries) =>
          entries.length === 0 ? (
            <Empty>No FAQ entries yet.</Empty>
          ) : (
            <ol className="faq-list" aria-label="FAQ entries">
              {entries.map((entry, index) => (
                <li key={entry.id} className="faq-entry">
                  {editing === entry.id ? (
                    <form className="stack-form" aria-label={`Edit "${entry.question}"`} onSubmit={(event) => void update(event, entry)}>
                      <FaqFields entry={entry} products={productList} />
                      <div className="actions">
                        <button type="submit" className="primary" disabled={busy}>
                          Save entry
                        </button>
                        <button type="button" onClick={() => setEditing(null)}>
                          Cancel
                        </button>
                      </div>
                    </form>
                  ) : (
                    <>
                      <h3>
                        {entry.question} {entry.published ? null : <span className="badge badge-draft">unpublished</span>}
                        <span className="hint">{productName(entry.productId)}</span>
                      </h3>
                      {/* answerHtml is rendered and sanitized by the server (raw HTML escaped, only safe links). */}
                      <div className="answer notes" dangerouslySetInnerHTML={{ __html: entry.answerHtml }} />
                      {canWrite ? (
                        <div className="actions">
                          <button type="button" onClick={() => setEditing(entry.id)} aria-label={`Edit "${entry.question}"`}>
                            Edit
                          </button>
                          <button type="button" disabled={busy || index === 0} onClick={() => void move(entries, index, -1)} aria-label={`Move up: "${entry.question}"`}>
                            Move up
                          </button>
                          <button
                            type="button"
                            disabled={busy || index === entries.length - 1}
                            onClick={() => void move(entries, index, 1)}
                            aria-label={`Move down: "${entry.question}"`}
                          >
                            Move down
                          </button>
                          {confirming === entry.id ? (
                            <>
                              <span>Delete this entry for good?</span>
                              <button
                                type="button"
                                className="danger"
                                disabled={busy}
                                onClick={() => void run(() => settingsApi.deleteFaq(entry.id), `Deleted "${entry.question}".`).then(() => setConfirming(null))}
                              >
                                Yes, delete
                              </button>
                              <button type="button" onClick={() => setConfirming(null)}>
                                Cancel
                              </button>
                            </>
                          ) : (
                            <button type="button" className="danger" onClick={() => setConfirming(entry.id)} aria-label={`Delete "${entry.question}"…`}>
                              Delete…
                            </button>
                          )}
                        </div>
                      ) : null}
                    </>
                  )}
                </li>
              ))}
            </ol>
          )
        }
      </Show>
      {canWrite ? (
        <details className="card">
          <summary>New FAQ entry</summary>
          <form key={formKey} className="stack-form" aria-label="New FAQ entry" onSubmit={(event) => void create(event)}>
            <FaqFields products={productList} />
            <div>
              <button type="submit" className="primary" disabled={busy}>
                Add entry
              </button>
            </div>
          </form>
        </details>
      ) : null}
    </section>
  );
}
