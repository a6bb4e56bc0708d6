import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { mailApi, type MailPreferences, type OptionalCategory } from '../api/mail.js';
import { can, useSession } from '../session.js';
import { ErrorMessage, messageOf, Show, useLoad } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';

const CATEGORIES: { name: OptionalCategory; label: string }[] = [
  { name: 'reminders', label: 'Reminders (expiry, trial ending)' },
  { name: 'announcements', label: 'Announcements (new releases, news)' },
  { name: 'alerts', label: 'Staff alerts' },
];

/** Support's lookup: any address's optional-mail choices (a user's, a customer's contact address, an alert recipient). */
export function MailPreferencesLookup() {
  const [params, setParams] = useSearchParams();
  const email = params.get('email') ?? '';

  function lookUp(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get('email') ?? '').trim();
    setParams(value ? { email: value } : {});
  }

  return (
    <section aria-labelledby="preferences-title">
      <h1 id="preferences-title">Mail preferences</h1>
      <p className="hint">
        Which optional mail an address receives. Essential mail (license keys, renewals, cancellations, expiry, password links) always goes.
      </p>
      <form className="search" role="search" aria-label="Look up an address" onSubmit={lookUp} key={email}>
        <label>
          E-mail address
          <input name="email" type="email" required maxLength={320} defaultValue={email} autoComplete="off" />
        </label>
        <button type="submit" className="primary">
          Look up
        </button>
      </form>
      {email ? <AddressPreferences email={email} /> : null}
    </section>
  );
}

function AddressPreferences({ email }: { email: string }) {
  const loaded = useLoad(() => mailApi.getAddressPreferences(email), email);
  return <Show loaded={loaded}>{(preferences) => <PreferencesForm preferences={preferences} />}</Show>;
}

function PreferencesForm({ preferences: loaded }: { preferences: MailPreferences }) {
  const { me } = useSession();
  const [preferences, setPreferences] = useState(loaded);
  const mayWrite = can(me, 'mail:write');
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
      const saved = await mailApi.updateAddressPreferences(preferences.email, {
        reminders: form.has('reminders'),
        announcements: form.has('announcements'),
        alerts: form.has('alerts'),
      });
      const off = CATEGORIES.filter((category) => !saved[category.name]).map((category) => category.name);
      setPreferences(saved);
      setNotice(`Saved for ${saved.email}: ${off.length ? `no ${off.join(', ')}` : 'every category on'}.`);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card stack-form" onSubmit={save} aria-label={`Preferences of ${preferences.email}`}>
      <h2 className="form-title">{preferences.email}</h2>
      <p className="hint">{preferences.updatedAt ? `Last changed ${formatDateTime(preferences.updatedAt)}.` : 'Never changed: every category is on.'}</p>
      <fieldset className="checks" disabled={!mayWrite}>
        <legend>Receives</legend>
        {CATEGORIES.map((category) => (
          <label key={category.name} className="check">
            <input type="checkbox" name={category.name} defaultChecked={preferences[category.name]} />
            {category.label}
          </label>
        ))}
      </fieldset>
      {mayWrite ? (
        <div>
          <button type="submit" className="primary" disabled={busy}>
            Save preferences
          </button>
        </div>
      ) : (
        <p className="hint">Your role may look preferences up; changing them needs mail:write (owner or admin).</p>
      )}
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </form>
  );
}
