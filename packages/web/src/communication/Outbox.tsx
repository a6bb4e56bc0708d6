import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { MAIL_STATUSES, mailApi, STATUS_HELP, type MailStatus } from '../api/mail.js';
import { can, useSession } from '../session.js';
import { ErrorMessage, messageOf, NotFoundPage, PagedTable, Show, useAction, useLoad, usePagedList } from '../ui/ui.js';
import { formatDateTime } from '../ui/format.js';

const FILTERS = ['status', 'template', 'to'] as const;

export function MailStatusBadge({ status }: { status: MailStatus }) {
  return (
    <span className={`badge badge-mail-${status}`} title={STATUS_HELP[status]}>
      {status}
    </span>
  );
}

/** Releases held mail (all, or one) and says how many went to the queue. */
async function releaseHeld(ids?: string[]): Promise<string> {
  const { released } = await mailApi.sendHeld(ids);
  return released === 0 ? 'No held mail was left to send.' : `Released ${released} held mail${released === 1 ? '' : 's'} to the queue.`;
}

/**
 * Held mail is what the server recorded while it had no SMTP settings. The API does not say whether SMTP is
 * configured now; it says so when releasing (409 SMTP_NOT_CONFIGURED), which the banner then shows.
 */
function HeldBanner({ onReleased }: { onReleased: () => void }) {
  const { me } = useSession();
  const held = useLoad(() => mailApi.listOutbox({ status: 'held' }), 'outbox-held');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const count = held.data?.data.length ?? 0;
  if (count === 0 && !notice) return null;

  async function release() {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      setNotice(await releaseHeld());
      held.reload();
      onReleased();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="banner" role="region" aria-label="Held mail">
      {count > 0 ? (
        <>
          <p>
            <strong>
              {held.data?.nextCursor ? 'More than 25 mails are' : `${count} mail${count === 1 ? ' is' : 's are'}`} held: no SMTP server was configured when{' '}
              {count === 1 ? 'it was' : 'they were'} recorded, so nothing was sent.
            </strong>
          </p>
          <p>Set SMTP_URL (and MAIL_FROM) and restart the server, look through the held mail, then send it.</p>
          {can(me, 'mail:write') ? (
            <p>
              <button type="button" className="primary" disabled={busy} onClick={() => void release()}>
                Send held mail
              </button>
            </p>
          ) : null}
        </>
      ) : null}
      {notice ? (
        <p className="success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? <ErrorMessage message={error} /> : null}
    </div>
  );
}

/** Every mail the server recorded, newest first, filtered by status, template and recipient. */
export function Outbox() {
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Record<(typeof FILTERS)[number], string>;
  const key = FILTERS.map((name) => filter[name]).join('|');
  const templates = useLoad(() => mailApi.listTemplates(), 'mail-templates');
  const list = usePagedList(
    (cursor) => mailApi.listOutbox({ status: (filter.status || undefined) as MailStatus | undefined, template: filter.template || undefined, to: filter.to || undefined, cursor }),
    key,
  );

  function setFilter(name: (typeof FILTERS)[number], value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next);
  }

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFilter('to', String(new FormData(event.currentTarget).get('to') ?? '').trim());
  }

  return (
    <section aria-labelledby="outbox-title">
      <h1 id="outbox-title">Outbox</h1>
      <HeldBanner onReleased={() => list.first.reload()} />
      <fieldset className="filters">
        <legend>Filter</legend>
        <label>
          Status
          <select value={filter.status} onChange={(event) => setFilter('status', event.target.value)}>
            <option value="">any</option>
            {MAIL_STATUSES.map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </label>
        <label>
          Template
          <select value={filter.template} onChange={(event) => setFilter('template', event.target.value)}>
            <option value="">any</option>
            {(templates.data ?? []).map((template) => (
              <option key={template.key}>{template.key}</option>
            ))}
          </select>
        </label>
        <form className="search-inline" role="search" aria-label="Search by address" onSubmit={search} key={filter.to}>
          <label>
            Recipient <span className="hint">(exact address)</span>
            <input name="to" type="email" minLength={3} maxLength={320} defaultValue={filter.to} />
          </label>
          <button type="submit">Search</button>
          {filter.to ? (
            <button type="button" onClick={() => setFilter('to', '')}>
              Clear
            </button>
          ) : null}
        </form>
      </fieldset>
      <PagedTable
        list={list}
        label="Outbox"
        empty="No mail matches."
        columns={['Subject', 'To', 'Template', 'Status', 'Attempts', 'Recorded']}
        row={(mail) => (
          <tr key={mail.id}>
            <td>
              <Link to={`/console/mail/outbox/${mail.id}`}>{mail.subject}</Link>
            </td>
            <td className="addresses">{mail.to.join(', ') || '—'}</td>
            <td>
              <code>{mail.template}</code>
            </td>
            <td>
              <MailStatusBadge status={mail.status} />
            </td>
            <td>{mail.attempts}</td>
            <td>{formatDateTime(mail.createdAt)}</td>
          </tr>
        )}
      />
    </section>
  );
}

/** One mail as recorded: recipients, status, the last error, the text and the HTML (sandboxed). */
export function OutboxMailDetail() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const mayWrite = can(me, 'mail:write');
  const loaded = useLoad(() => mailApi.getMail(id), id);
  const { busy, setBusy, error, setError, notice, setNotice, run } = useAction(() => loaded.reload());
  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="mail" back="/console/mail/outbox" />;

  return (
    <Show loaded={loaded}>
      {(mail) => (
        <section aria-labelledby="mail-title">
          <p>
            <Link to="/console/mail/outbox">← Outbox</Link>
          </p>
          <h1 id="mail-title">
            {mail.subject} <MailStatusBadge status={mail.status} />
          </h1>
          <dl className="facts">
            <dt>To</dt>
            <dd className="addresses">{mail.to.join(', ') || '—'}</dd>
            {mail.suppressedTo.length ? (
              <>
                <dt>Left out (opted out)</dt>
                <dd className="addresses">{mail.suppressedTo.join(', ')}</dd>
              </>
            ) : null}
            <dt>Status</dt>
            <dd>
              <span data-testid="mail-status">{mail.status}</span> <span className="hint">({STATUS_HELP[mail.status]})</span>
            </dd>
            <dt>Attempts</dt>
            <dd>{mail.attempts}</dd>
            <dt>Last error</dt>
            <dd data-testid="mail-last-error">{mail.lastError ?? '—'}</dd>
            <dt>Template</dt>
            <dd>
              <Link to={`/console/mail/templates/${encodeURIComponent(mail.template)}`}>
                <code>{mail.template}</code>
              </Link>{' '}
              ({mail.category})
            </dd>
            <dt>Recorded</dt>
            <dd>{formatDateTime(mail.createdAt)}</dd>
            <dt>Sent</dt>
            <dd>{formatDateTime(mail.sentAt)}</dd>
            <dt>Message-ID</dt>
            <dd className="addresses">
              <code>{mail.messageId}</code>
            </dd>
          </dl>
          {notice ? (
            <p className="success" role="status">
              {notice}
            </p>
          ) : null}
          {error ? <ErrorMessage message={error} /> : null}
          {mayWrite && (mail.status === 'failed' || mail.status === 'held') ? (
            <div className="actions" role="group" aria-label="Mail actions">
              {mail.status === 'failed' ? (
                <button type="button" className="primary" disabled={busy} onClick={() => void run(async () => (await mailApi.retryMail(mail.id), 'Queued again for delivery.'))}>
                  Retry
                </button>
              ) : (
                <button type="button" className="primary" disabled={busy} onClick={() => void run(() => releaseHeld([mail.id]))}>
                  Send held mail
                </button>
              )}
            </div>
          ) : null}
          <p className="hint">One-time tokens in links are shown as [redacted].</p>
          <h2>Text</h2>
          <pre className="mail-text" data-testid="mail-text">
            {mail.text}
          </pre>
          <h2>HTML</h2>
          {/* sandbox="" : the mail's HTML runs no script, submits no form and cannot reach the console. */}
          <iframe className="mail-frame" title="HTML body of the mail" sandbox="" srcDoc={mail.html} />
        </section>
      )}
    </Show>
  );
}
