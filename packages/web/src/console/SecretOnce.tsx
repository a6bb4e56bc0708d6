import { CopyButton } from './CopyButton.js';

/**
 * A secret the API returns only once (a webhook signing secret, an API token): shown with a copy button
 * and a warning until the user dismisses it. Nothing keeps it: a reload or leaving the page loses it.
 */
export function SecretOnce({ title, secret, what, onDone, note }: { title: string; secret: string; what: string; onDone: () => void; note?: string }) {
  return (
    <section className="banner" aria-label={title}>
      <p>
        <strong>{title}</strong>
      </p>
      <p>
        Copy the {what} now and store it somewhere safe: <strong>it is shown only this once</strong> and cannot be read again.
        {note ? ` ${note}` : null}
      </p>
      <p>
        <code className="key" data-testid="secret-once">
          {secret}
        </code>
      </p>
      <div className="actions">
        <CopyButton text={secret} label={`Copy ${what}`} />
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </section>
  );
}
