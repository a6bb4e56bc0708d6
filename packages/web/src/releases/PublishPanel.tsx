import { useState, type FormEvent } from 'react';
import { consoleApi, type Announcement, type Release } from '../api/api.js';
import { Empty, ErrorMessage, messageOf, Show, useLoad } from '../ui/ui.js';

/** The recipients preview: the default list from the server, with addresses taken off and added by hand. */
function Recipients({ releaseId, removed, added, onToggle, onAdd, onDrop }: {
  releaseId: string;
  removed: string[];
  added: string[];
  onToggle(email: string): void;
  onAdd(email: string): void;
  onDrop(email: string): void;
}) {
  const recipients = useLoad(() => consoleApi.announcementRecipients(releaseId), releaseId);
  const [address, setAddress] = useState('');
  function add(event: { preventDefault(): void }) {
    event.preventDefault();
    const email = address.trim().toLowerCase();
    if (email) onAdd(email);
    setAddress('');
  }
  return (
    <Show loaded={recipients}>
      {(list) => {
        const sending = list.data.filter((r) => !r.optedOut && !removed.includes(r.email)).length + added.filter((email) => !list.data.some((r) => r.email === email)).length;
        return (
          <fieldset className="recipient-box">
            <legend>Recipients</legend>
            <p data-testid="recipient-count" role="status" aria-live="polite">
              {sending} address{sending === 1 ? '' : 'es'} will be mailed
              {list.optedOut > 0 ? ` (${list.optedOut} opted out of announcements and are skipped)` : ''}.
            </p>
            {list.data.length === 0 && added.length === 0 ? (
              <Empty>No customer holds a license that covers this release yet: add addresses by hand.</Empty>
            ) : (
              <ul className="recipients" aria-label="Recipients">
                {list.data.map((recipient) => (
                  <li key={recipient.email}>
                    <label className="filter">
                      <input
                        type="checkbox"
                        checked={!recipient.optedOut && !removed.includes(recipient.email)}
                        disabled={recipient.optedOut}
                        onChange={() => onToggle(recipient.email)}
                      />
                      <span className={removed.includes(recipient.email) || recipient.optedOut ? 'removed' : ''}>
                        {recipient.name ? `${recipient.name} <${recipient.email}>` : recipient.email}
                      </span>
                      {recipient.optedOut ? <span className="hint">opted out</span> : null}
                    </label>
                  </li>
                ))}
                {added.map((email) => (
                  <li key={`added-${email}`}>
                    <span>{email}</span> <span className="hint">added</span>
                    <button type="button" aria-label={`Remove ${email}`} onClick={() => onDrop(email)}>
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <div className="add-address">
              <label>
                Add an address
                <input
                  type="email"
                  value={address}
                  maxLength={254}
                  onChange={(event) => setAddress(event.target.value)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter') add(event);
                  }}
                />
              </label>
              <button type="button" onClick={add} disabled={!address.trim()}>
                Add
              </button>
            </div>
          </fieldset>
        );
      }}
    </Show>
  );
}

/** Publish a draft, optionally announcing it by mail in the same call. */
export function PublishPanel({ release, onPublished }: { release: Release; onPublished(release: Release, announcement?: Announcement): void }) {
  const [announce, setAnnounce] = useState(false);
  const [template, setTemplate] = useState('release.published');
  const [removed, setRemoved] = useState<string[]>([]);
  const [added, setAdded] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function publish(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await consoleApi.publishRelease(
        release.id,
        announce
          ? { ...(template.trim() ? { template: template.trim() } : {}), ...(added.length ? { add: added.map((email) => ({ email })) } : {}), ...(removed.length ? { remove: removed } : {}) }
          : undefined,
      );
      onPublished(answer, answer.announcement);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack-form card" onSubmit={publish} aria-label="Publish release">
      <h3 className="form-title">Publish</h3>
      <p className="hint">Once published, update checks offer this release to entitled licenses.</p>
      <label className="filter">
        <input type="checkbox" checked={announce} onChange={(event) => setAnnounce(event.target.checked)} />
        Announce it by e-mail
      </label>
      {announce ? (
        <>
          <label>
            Mail template
            <input value={template} onChange={(event) => setTemplate(event.target.value)} maxLength={100} />
          </label>
          <Recipients
            releaseId={release.id}
            removed={removed}
            added={added}
            onToggle={(email) => setRemoved((list) => (list.includes(email) ? list.filter((e) => e !== email) : [...list, email]))}
            onAdd={(email) => setAdded((list) => (list.includes(email) ? list : [...list, email]))}
            onDrop={(email) => setAdded((list) => list.filter((e) => e !== email))}
          />
        </>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {announce ? 'Publish and announce' : 'Publish'}
        </button>
      </div>
    </form>
  );
}
