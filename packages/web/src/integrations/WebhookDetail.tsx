import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, ErrorMessage, messageOf, NotFoundPage, PagedTable, Show, TableWrap, useAction, useLoad, usePagedList } from '../ui/ui.js';
import { adminApi, DELIVERY_STATUSES, type DeliveryStatus, type WebhookDelivery, type WebhookEndpoint, type WebhookEndpointWithSecret } from '../api/admin.js';
import { formatDateTime } from '../ui/format.js';
import { DeliveryBadge, EventPicker, eventsText, HealthBadge, SecretOnceFor } from './Webhooks.js';

/** One endpoint: its settings and health, the actions on it, and its delivery log. */
export function WebhookDetail() {
  const { id = '' } = useParams();
  const { me } = useSession();
  const navigate = useNavigate();
  const mayWrite = can(me, 'webhooks:write');
  const loaded = useLoad(() => adminApi.getWebhookEndpoint(id), id);
  /** A change, then reloads the endpoint and its delivery log. */
  const { busy, setBusy, error, setError, notice, run } = useAction(() => {
    setConfirm(null);
    loaded.reload();
    setLogRound((round) => round + 1);
  });
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null);
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<WebhookEndpointWithSecret | null>(null);
  const [logRound, setLogRound] = useState(0);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="webhook endpoint" back="/console/webhooks" />;

  function rotate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const overlapHours = Number(new FormData(event.currentTarget).get('overlapHours') ?? 0);
    void run(async () => {
      setSecret(await adminApi.rotateWebhookSecret(id, overlapHours));
      return overlapHours > 0 ? `New secret issued; the old one keeps signing for ${overlapHours} hours.` : 'New secret issued; the old one no longer signs.';
    });
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await adminApi.deleteWebhookEndpoint(id);
      navigate('/console/webhooks');
    } catch (caught) {
      setError(messageOf(caught));
      setBusy(false);
    }
  }

  return (
    <Show loaded={loaded}>
      {(endpoint) => (
        <section aria-labelledby="endpoint-title">
          <p>
            <Link to="/console/webhooks">← Webhooks</Link>
          </p>
          <h1 id="endpoint-title" className="break">
            {endpoint.url} <HealthBadge endpoint={endpoint} />
          </h1>
          {secret ? <SecretOnceFor endpoint={secret} onDone={() => setSecret(null)} /> : null}
          <dl className="facts">
            <dt>Description</dt>
            <dd>{endpoint.description ?? '—'}</dd>
            <dt>Events</dt>
            <dd>{eventsText(endpoint.events)}</dd>
            <dt>Enabled</dt>
            <dd data-testid="endpoint-enabled">
              {endpoint.enabled ? 'yes' : `no${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ''}`}
              {endpoint.disabledAt ? ` (since ${formatDateTime(endpoint.disabledAt)})` : ''}
            </dd>
            <dt>Last event delivered</dt>
            <dd>{formatDateTime(endpoint.lastSuccessAt, 'never')}</dd>
            <dt>Failures in a row</dt>
            <dd>
              {endpoint.consecutiveFailures}
              {endpoint.failingSince ? ` (failing since ${formatDateTime(endpoint.failingSince)})` : ''}
            </dd>
            <dt>Signing secret</dt>
            <dd>
              …{endpoint.secretHint}
              {endpoint.previousSecretExpiresAt ? ` (the previous one also signs until ${formatDateTime(endpoint.previousSecretExpiresAt)})` : ''}
            </dd>
            <dt>Created</dt>
            <dd>{formatDateTime(endpoint.createdAt)}</dd>
          </dl>
          {notice ? (
            <p className="notice" role="status">
              {notice}
            </p>
          ) : null}
          {error ? <ErrorMessage message={error} /> : null}
          {mayWrite ? (
            <div className="actions" role="group" aria-label="Endpoint actions">
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    const delivery = await adminApi.sendTestWebhook(id);
                    return `A ping event is queued (${delivery.id}); it shows in the delivery log below.`;
                  })
                }
              >
                Send test event
              </button>
              <button type="button" aria-expanded={editing} onClick={() => setEditing((open) => !open)}>
                {editing ? 'Close editor' : 'Edit'}
              </button>
              {endpoint.enabled ? (
                <button type="button" disabled={busy} onClick={() => void run(async () => (await adminApi.updateWebhookEndpoint(id, { enabled: false }), 'Disabled: no deliveries until you enable it.'))}>
                  Disable
                </button>
              ) : (
                <button type="button" disabled={busy} onClick={() => void run(async () => (await adminApi.updateWebhookEndpoint(id, { enabled: true }), 'Enabled; the failure streak is cleared.'))}>
                  Enable
                </button>
              )}
              <button type="button" disabled={busy} onClick={() => setConfirm('rotate')}>
                Rotate secret…
              </button>
              {confirm === 'delete' ? (
                <>
                  <span>Delete this endpoint and its delivery log?</span>
                  <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
                    Yes, delete
                  </button>
                  <button type="button" onClick={() => setConfirm(null)}>
                    Cancel
                  </button>
                </>
              ) : (
                <button type="button" className="danger" disabled={busy} onClick={() => setConfirm('delete')}>
                  Delete…
                </button>
              )}
            </div>
          ) : null}
          {mayWrite && confirm === 'rotate' ? (
            <form className="inline-form compact card" onSubmit={rotate} aria-label="Rotate signing secret">
              <p className="span-all">Issue a new signing secret? Your receiver must be given the new one.</p>
              <label>
                Old secret keeps signing for hours <span className="hint">(0 to 168)</span>
                <input name="overlapHours" type="number" min={0} max={168} step={1} required defaultValue={0} />
              </label>
              <button type="submit" className="danger" disabled={busy}>
                Yes, rotate
              </button>
              <button type="button" onClick={() => setConfirm(null)}>
                Cancel
              </button>
            </form>
          ) : null}
          {mayWrite && editing ? <EditEndpoint endpoint={endpoint} busy={busy} onSave={(body) => run(async () => (await adminApi.updateWebhookEndpoint(id, body), setEditing(false), 'Saved.'))} /> : null}
          <DeliveryLog endpointId={id} round={logRound} mayWrite={mayWrite} onRefresh={() => loaded.reload()} />
        </section>
      )}
    </Show>
  );
}

function EditEndpoint({ endpoint, busy, onSave }: { endpoint: WebhookEndpoint; busy: boolean; onSave: (body: { url: string; description: string | null; events: string[] }) => Promise<void> }) {
  const types = useLoad(() => adminApi.webhookEventTypes(), 'types');
  const [events, setEvents] = useState(endpoint.events);
  const [error, setError] = useState<string | null>(null);
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (events.length === 0) return setError('Choose at least one event, or all events.');
    setError(null);
    const description = String(form.get('description') ?? '').trim();
    void onSave({ url: String(form.get('url')).trim(), description: description || null, events });
  }
  return (
    <form className="stack-form card" onSubmit={submit} aria-label="Edit webhook endpoint">
      <label>
        URL
        <input name="url" type="url" required maxLength={2048} defaultValue={endpoint.url} />
      </label>
      <label>
        Description <span className="hint">(optional)</span>
        <input name="description" maxLength={500} defaultValue={endpoint.description ?? ''} />
      </label>
      <Show loaded={types}>{(list) => <EventPicker types={list} selected={events} onChange={setEvents} />}</Show>
      {error ? <ErrorMessage message={error} /> : null}
      <div>
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}

/** The endpoint's delivery log, newest first, filtered by status, page by page. */
function DeliveryLog({ endpointId, round, mayWrite, onRefresh }: { endpointId: string; round: number; mayWrite: boolean; onRefresh: () => void }) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [refresh, setRefresh] = useState(0);
  const list = usePagedList((cursor) => adminApi.listWebhookDeliveries(endpointId, { status: status || undefined, cursor }), `${endpointId}|${status}|${round}|${refresh}`);
  return (
    <>
      <h2>Delivery log</h2>
      <div className="actions">
        <label>
          Status{' '}
          <select value={status} onChange={(event) => setStatus(event.target.value as DeliveryStatus | '')}>
            <option value="">any</option>
            {DELIVERY_STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => {
            setRefresh((n) => n + 1);
            onRefresh();
          }}
        >
          Refresh
        </button>
      </div>
      <PagedTable
        list={list}
        label="Deliveries"
        testId="delivery-log"
        empty={`No deliveries${status ? ` with status ${status}` : ''} yet.`}
        columns={['Event', 'Status', 'Attempts', 'Response', 'Created', 'Delivered', 'Next retry']}
        row={(delivery) => <DeliveryRow key={delivery.id} endpointId={endpointId} delivery={delivery} />}
      />
      <p className="hint">Open a delivery to see the body sent and each attempt{mayWrite ? ', and to send it again' : ''}.</p>
    </>
  );
}

function DeliveryRow({ endpointId, delivery }: { endpointId: string; delivery: WebhookDelivery }) {
  return (
    <tr>
      <td>
        <Link to={`/console/webhooks/${endpointId}/deliveries/${delivery.id}`}>{delivery.eventType}</Link>
        {delivery.kind !== 'event' ? <span className="hint"> ({delivery.kind})</span> : null}
      </td>
      <td>
        <DeliveryBadge status={delivery.status} />
      </td>
      <td>
        {delivery.attemptCount} of {delivery.maxAttempts}
      </td>
      <td>{delivery.lastStatusCode ?? (delivery.lastError ? 'no answer' : '—')}</td>
      <td>{formatDateTime(delivery.createdAt)}</td>
      <td>{formatDateTime(delivery.deliveredAt)}</td>
      <td>{formatDateTime(delivery.nextAttemptAt)}</td>
    </tr>
  );
}

/** The body as people read it: indented JSON text when it is data, the text itself when it is a string. */
function bodyText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  try {
    return JSON.stringify(payload, null, 2) ?? '';
  } catch {
    return String(payload);
  }
}

/** One delivery: what was sent, every attempt with the receiver's answer, and Redeliver. */
export function WebhookDeliveryDetail() {
  const { id = '', deliveryId = '' } = useParams();
  const { me } = useSession();
  const navigate = useNavigate();
  const mayWrite = can(me, 'webhooks:write');
  const loaded = useLoad(() => adminApi.getWebhookDelivery(deliveryId), deliveryId);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <NotFoundPage what="delivery" back={`/console/webhooks/${id}`} />;

  async function redeliver() {
    setBusy(true);
    setError(null);
    try {
      const again = await adminApi.redeliverWebhook(deliveryId);
      navigate(`/console/webhooks/${id}/deliveries/${again.id}`);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Show loaded={loaded}>
      {(delivery) => (
        <section aria-labelledby="delivery-title">
          <p>
            <Link to={`/console/webhooks/${delivery.endpointId}`}>← Endpoint and delivery log</Link>
          </p>
          <h1 id="delivery-title">
            {delivery.eventType} <DeliveryBadge status={delivery.status} />
          </h1>
          {delivery.redeliveryOf ? (
            <p className="notice" role="status">
              A redelivery of <Link to={`/console/webhooks/${delivery.endpointId}/deliveries/${delivery.redeliveryOf}`}>an earlier delivery</Link>, queued for one attempt.
            </p>
          ) : null}
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="delivery-status">{delivery.status}</dd>
            <dt>Kind</dt>
            <dd>{delivery.kind}</dd>
            <dt>Attempts</dt>
            <dd>
              {delivery.attemptCount} of {delivery.maxAttempts}
            </dd>
            <dt>Last response</dt>
            <dd>{delivery.lastStatusCode ?? '—'}</dd>
            {delivery.lastError ? (
              <>
                <dt>Last error</dt>
                <dd>{delivery.lastError}</dd>
              </>
            ) : null}
            <dt>Created</dt>
            <dd>{formatDateTime(delivery.createdAt)}</dd>
            <dt>Delivered</dt>
            <dd>{formatDateTime(delivery.deliveredAt)}</dd>
            <dt>Next retry</dt>
            <dd>{formatDateTime(delivery.nextAttemptAt)}</dd>
            <dt>Delivery id</dt>
            <dd>
              <code>{delivery.id}</code> <span className="hint">(Keyhaven-Webhook-Id)</span>
            </dd>
            <dt>Event id</dt>
            <dd>
              <code>{delivery.eventId}</code> <span className="hint">(Keyhaven-Event-Id)</span>
            </dd>
          </dl>
          {error ? <ErrorMessage message={error} /> : null}
          <div className="actions">
            {mayWrite ? (
              <button type="button" disabled={busy} onClick={() => void redeliver()}>
                Redeliver
              </button>
            ) : null}
            <button type="button" onClick={() => loaded.reload()}>
              Refresh
            </button>
          </div>
          <h2>Attempts</h2>
          {delivery.attempts.length === 0 ? (
            <Empty>Not attempted yet: the worker sends it shortly.</Empty>
          ) : (
            <TableWrap label="Attempts">
              <table>
                <caption className="visually-hidden">Attempts</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">At</th>
                    <th scope="col">Result</th>
                    <th scope="col">Status code</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Response (first KiB) or error</th>
                  </tr>
                </thead>
                <tbody>
                  {delivery.attempts.map((attempt) => (
                    <tr key={attempt.attempt}>
                      <td>{attempt.attempt}</td>
                      <td>{formatDateTime(attempt.at)}</td>
                      <td>{attempt.success ? 'success' : 'failed'}</td>
                      <td>{attempt.statusCode ?? '—'}</td>
                      <td>{attempt.durationMs} ms</td>
                      <td>{attempt.error ? attempt.error : attempt.responseBody ? <pre className="excerpt">{attempt.responseBody}</pre> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          <h2>Request body</h2>
          <pre className="excerpt" data-testid="delivery-body" tabIndex={0} aria-label="Request body">
            {bodyText(delivery.payload)}
          </pre>
        </section>
      )}
    </Show>
  );
}
