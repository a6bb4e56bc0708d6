import { useState, type FormEvent } from 'react';
import { mailApi, type MailPreferences } from '../api/mail.js';
import { ErrorMessage, messageOf, Show, useLoad } from '../ui/ui.js';

/** The optional mail a customer user can turn off (staff alerts are not theirs to receive). */
const CATEGORIES = [
  { name: 'reminders', label: 'Reminders', help: 'before a license or subscription ends, and before a trial ends' },
  { name: 'announcements', label: 'Announcements', help: 'new releases of your products and news' },
] as const;

/** The signed-in user's e-mail choices (`getMailPreferences` / `updateMailPreferences`). */
export function PortalNotifications() {
  const loaded = useLoad(() => mailApi.getOwnPreferences(), 'own-mail-preferences');
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Notifications</h1>
      <Show loaded={loaded}>{(preferences) => <NotificationsForm preferences={preferences} />}</Show>
    </section>
  );
}

function NotificationsForm({ preferences: loaded }: { preferences: MailPreferences }) {
  const [preferences, setPreferences] = useState(loaded);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const saved = await mailApi.updateOwnPreferences({ reminders: form.has('reminders'), announcements: form.has('announcements') });
      setPreferences(saved);
      const on = CATEGORIES.filter((category) => saved[category.name]).map((category) => category.label.toLowerCase());
      setNotice(`Saved. ${on.length ? `You receive ${on.join(' and ')} besides the essential mail.` : 'You receive only the essential mail.'}`);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card stack-form" onSubmit={save} aria-label="E-mail notifications">
      <p>
        E-mails to <strong>{preferences.email}</strong>. Mail about your licenses and account (license keys, renewals, cancellations, expiry, password
        links) always arrives; you choose the rest.
      </p>
      <fieldset className="checks">
        <legend>Send me</legend>
        {CATEGORIES.map((category) => (
          <label key={category.name} className="check">
            <input type="checkbox" name={category.name} defaultChecked={preferences[category.name]} />
            <span>
              {category.label} <span className="hint">({category.help})</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div>
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
      </div>
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}
