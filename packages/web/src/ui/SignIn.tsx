import { useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router-dom';
import { homeOf, useSession } from '../session.js';
import { ErrorMessage, messageOf } from './ui.js';

export function SignIn() {
  const { me, signIn } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? {}) as { from?: string; expired?: boolean; passwordSet?: boolean };
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (me) return <Navigate to={homeOf(me)} replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const who = await signIn(String(form.get('email')), String(form.get('password')));
      // Back to the page that asked for sign-in, when it belongs to this actor's face.
      const home = homeOf(who);
      navigate(state.from === home || state.from?.startsWith(`${home}/`) ? state.from : home, { replace: true });
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="main">
      <form className="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Keyhaven</h1>
        {state.expired && !error ? <p className="notice">Your session ended; sign in again.</p> : null}
        {state.passwordSet && !error ? <p className="notice">Your password is set; sign in with it.</p> : null}
        <label>
          E-mail
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error ? <ErrorMessage message={error} /> : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="links">
          <Link to="/reset-password">Forgot your password?</Link>
        </p>
      </form>
    </main>
  );
}
