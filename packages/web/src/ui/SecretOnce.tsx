import { CopyButton } from './CopyButton.js';
import { formatDateTime } from './format.js';

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

/** A one-time set-password link the API showed a staff member (no SMTP, or handing it over in person). */
export interface ShownLink {
  email: string;
  url: string;
  expiresAt: string;
}

/** The shown-once password link of a staff or customer user, with who it is for and until when it works. */
export function PasswordLinkOnce({ link, onDone }: { link: ShownLink | null; onDone: () => void }) {
  if (!link) return null;
  return (
    <SecretOnce
      title={`One-time password link for ${link.email}`}
      what="link"
      secret={link.url}
      note={`Give it to ${link.email} yourself; it works once, until ${formatDateTime(link.expiresAt)}.`}
      onDone={onDone}
    />
  );
}
