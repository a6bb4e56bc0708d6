import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../api/api.js';
import { ErrorMessage, messageOf } from './ui.js';

/** The server's minimum (users' Password schema): checked here too so the form says it before sending. */
const MIN_LENGTH = 10;

/**
 * `/reset-password`: asks for a reset link by e-mail. The API answers the same whether or not the address has
 * an account, and so does this page.
 */
export function ResetPassword() {
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get('email')).trim();
    setBusy(true);
    setError(null);
    try {
      await api.requestPasswordReset(email);
      setSentTo(email);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="main">
      <form className="card" onSubmit={submit} aria-labelledby="reset-title">
        <h1 id="reset-title">Reset your password</h1>
        {sentTo ? (
          <p className="success" role="status">
            If an account uses {sentTo}, a link to set a new password is on its way. It works once, for one hour.
          </p>
        ) : (
          <>
            <p className="hint">Enter the e-mail address you sign in with; we mail you a link to set a new password.</p>
            <label>
              E-mail
              <input name="email" type="email" autoComplete="username" required autoFocus maxLength={320} />
            </label>
            {error ? <ErrorMessage message={error} /> : null}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Sending…' : 'Send reset link'}
            </button>
          </>
        )}
        <p className="links">
          <Link to="/sign-in">Back to sign-in</Link>
        </p>
      </form>
    </main>
  );
}

/**
 * `/set-password?token=…`: where the e-mailed set-password and reset links lead (the server builds
 * `${KEYHAVEN_PUBLIC_URL}/set-password?token=…` for both). Sets the password, then back to sign-in.
 */
export function SetPassword() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get('password'));
    if (password.length < MIN_LENGTH) return setError(`Choose a password of at least ${MIN_LENGTH} characters.`);
    if (password !== String(form.get('confirm'))) return setError('The two passwords differ; type the same password twice.');
    setBusy(true);
    setError(null);
    try {
      await api.completePasswordReset(token, password);
      navigate('/sign-in', { replace: true, state: { passwordSet: true } });
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="main">
      <form className="card" onSubmit={submit} aria-labelledby="set-title">
        <h1 id="set-title">Choose your password</h1>
        {token === '' ? (
          <ErrorMessage message="This link is incomplete: open the link from the e-mail again, or ask for a new one." />
        ) : (
          <>
            <label>
              New password
              <span className="hint">At least {MIN_LENGTH} characters</span>
              <input name="password" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} maxLength={200} autoFocus />
            </label>
            <label>
              Repeat the password
              <input name="confirm" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} maxLength={200} />
            </label>
            {error ? <ErrorMessage message={error} /> : null}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Set password'}
            </button>
          </>
        )}
        <p className="links">
          <Link to="/reset-password">Ask for a new link</Link> · <Link to="/sign-in">Sign in</Link>
        </p>
      </form>
    </main>
  );
}

/**
 * `/console/password` and `/portal/password`: the signed-in user changes its own password (current + new +
 * confirm). The server ends the user's other sessions and limits wrong current passwords per account;
 * errors show the API's message and code.
 */
export function ChangePassword() {
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const current = String(form.get('current'));
    const password = String(form.get('password'));
    setDone(false);
    if (password.length < MIN_LENGTH) return setError(`Choose a new password of at least ${MIN_LENGTH} characters.`);
    if (password !== String(form.get('confirm'))) return setError('The two new passwords differ; type the same password twice.');
    setBusy(true);
    setError(null);
    try {
      await api.changePassword(current, password);
      formElement.reset();
      setDone(true);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="password-title">
      <h1 id="password-title">Change password</h1>
      <form className="card stack-form" onSubmit={submit} aria-labelledby="password-title">
        <label>
          Current password
          <input name="current" type="password" autoComplete="current-password" required maxLength={200} />
        </label>
        <label>
          New password
          <span className="hint">At least {MIN_LENGTH} characters</span>
          <input name="password" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} maxLength={200} />
        </label>
        <label>
          Repeat the new password
          <input name="confirm" type="password" autoComplete="new-password" required minLength={MIN_LENGTH} maxLength={200} />
        </label>
        {error ? <ErrorMessage message={error} /> : null}
        {done ? (
          <p className="success" role="status">
            Your password was changed. You stay signed in here; your other sessions were signed out.
          </p>
        ) : null}
        <div>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
