import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { can, useSession } from '../session.js';
import { ErrorMessage, messageOf, PagedTable, Show, useLoad, usePagedList } from '../ui/ui.js';
import { adminApi, type DeliveryStatus, type WebhookEndpoint, type WebhookEndpointWithSecret, type WebhookEventType } from '../api/admin.js';
import { formatDateTime } from '../ui/format.js';
import { SecretOnce } from '../ui/SecretOnce.js';

/** Event types grouped by the part before the first dot (`license.revoked` → `license`). */
function groupTypes(types: WebhookEventType[]): { prefix: string; types: WebhookEventType[] }[] {
  const groups: { prefix: string; types: WebhookEventType[] }[] = [];
  for (const type of types) {
    const prefix = type.type.split('.')[0] ?? type.type;
    const group = groups.find((g) => g.prefix === prefix) ?? groups[groups.push({ prefix, types: [] }) - 1]!;
    group.types.push(type);
  }
  return groups;
}

/**
 * The subscriptions of an endpoint as checkboxes: "all events" (`*`), a whole group (`license.*`) or
 * single types, grouped as the catalogue names them. A choice replaces the narrower ones it covers, and
 * the single types of a group fold away until asked for, so the list stays short.
 */
export function EventPicker({ types, selected, onChange }: { types: WebhookEventType[]; selected: string[]; onChange: (events: string[]) => void }) {
  const has = (value: string) => selected.includes(value);
  const groups = groupTypes(types);
  const known = new Set([...types.map((type) => type.type), ...groups.map((group) => `${group.prefix}.*`), '*']);
  const others = selected.filter((value) => !known.has(value));
  function toggle(value: string, on: boolean) {
    if (!on) return onChange(selected.filter((item) => item !== value));
    if (value === '*') return onChange(['*']);
    const prefix = value.endsWith('.*') ? value.slice(0, -1) : null;
    onChange([...selected.filter((item) => item !== '*' && !(prefix && item.startsWith(prefix))), value]);
  }
  return (
    <fieldset className="events">
      <legend>Events</legend>
      <label className="check">
        <input type="checkbox" checked={has('*')} onChange={(event) => toggle('*', event.target.checked)} />
        All events <span className="hint">(including types added later)</span>
      </label>
      {has('*') ? (
        <p className="hint">Uncheck “All events” to choose groups or single event types.</p>
      ) : (
        <>
          {groups.map((group) => {
            const whole = has(`${group.prefix}.*`);
            const chosen = group.types.filter((type) => has(type.type)).length;
            return (
              <div key={group.prefix} className="event-group" role="group" aria-label={`${group.prefix} events`}>
                <label className="check">
                  <input type="checkbox" checked={whole} onChange={(event) => toggle(`${group.prefix}.*`, event.target.checked)} />
                  Every {group.prefix} event <code>{group.prefix}.*</code>
                  {chosen ? <span className="hint">({chosen} single type{chosen === 1 ? '' : 's'} chosen)</span> : null}
                </label>
                {whole ? null : (
                  <Foldable summary={`Choose single ${group.prefix} events`} initiallyOpen={chosen > 0}>
                    {group.types.map((type) => (
                      <label key={type.type} className="check">
                        <input type="checkbox" checked={has(type.type)} onChange={(event) => toggle(type.type, event.target.checked)} />
                        <code>{type.type}</code> <span className="hint">{type.description}</span>
                      </label>
                    ))}
                  </Foldable>
                )}
              </div>
            );
          })}
          {others.map((value) => (
            <label key={value} className="check">
              <input type="checkbox" checked onChange={() => toggle(value, false)} />
              <code>{value}</code> <span className="hint">(not in the catalogue)</span>
            </label>
          ))}
        </>
      )}
    </fieldset>
  );
}

/** A `<details>` that starts open or closed and is then the user's to open and close. */
function Foldable({ summary, initiallyOpen, children }: { summary: string; initiallyOpen: boolean; children: ReactNode }) {
  const [open, setOpen] = useState(initiallyOpen);
  return (
    <details open={open} onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>{summary}</summary>
      {children}
    </details>
  );
}

/** `["*"]` as people read it; otherwise the subscriptions themselves. */
export function eventsText(events: string[]): string {
  return events.includes('*') ? 'All events' : events.join(', ');
}

/**
 * What the endpoint's health fields say: disabled, failing (event deliveries failed in a row) or fine.
 * Tests and redeliveries do not count toward health, as on the server.
 */
export function HealthBadge({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (!endpoint.enabled) return <span className="badge badge-revoked">disabled</span>;
  if (endpoint.consecutiveFailures > 0) return <span className="badge badge-suspended">failing ({endpoint.consecutiveFailures})</span>;
  return <span className="badge badge-active">enabled</span>;
}

/** The status and time of the endpoint's newest delivery (any kind). */
function LastDelivery({ endpoint }: { endpoint: WebhookEndpoint }) {
  const latest = useLoad(() => adminApi.listWebhookDeliveries(endpoint.id, { limit: 1 }).then((page) => page.data[0] ?? null), `${endpoint.id}|${endpoint.updatedAt}`);
  if (latest.error) return <span className="hint">unknown</span>;
  if (latest.data === undefined) return <span className="hint">…</span>;
  if (latest.data === null) return <span className="hint">none yet</span>;
  return (
    <>
      <DeliveryBadge status={latest.data.status} /> <span className="hint">{formatDateTime(latest.data.deliveredAt ?? latest.data.createdAt)}</span>
    </>
  );
}

const STATUS_BADGE: Record<DeliveryStatus, string> = { delivered: 'active', failed: 'revoked', pending: 'pending', sending: 'pending' };

export function DeliveryBadge({ status }: { status: DeliveryStatus }) {
  return <span className={`badge badge-${STATUS_BADGE[status]}`}>{status}</span>;
}

export function Webhooks() {
  const { me } = useSession();
  const mayWrite = can(me, 'webhooks:write');
  const list = usePagedList((cursor) => adminApi.listWebhookEndpoints(cursor), 'endpoints');
  const types = useLoad(() => adminApi.webhookEventTypes(), 'types');
  const [events, setEvents] = useState<string[]>(['*']);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<WebhookEndpointWithSecret | null>(null);
  const [formOpen, setFormOpen] = useState(false);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    if (events.length === 0) return setError('Choose at least one event, or all events.');
    const description = String(form.get('description') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      const endpoint = await adminApi.createWebhookEndpoint({ url: String(form.get('url')).trim(), events, ...(description ? { description } : {}) });
      setCreated(endpoint);
      setFormOpen(false);
      formElement.reset();
      setEvents(['*']);
      list.first.reload();
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <p className="hint">
        Keyhaven POSTs each event your endpoints subscribe to as signed JSON, retries failures for about a day and keeps a log of every attempt.
      </p>
      {created ? (
        <>
          <SecretOnceFor endpoint={created} onDone={() => setCreated(null)} />
          <p>
            <Link to={`/console/webhooks/${created.id}`}>Open the new endpoint</Link>
          </p>
        </>
      ) : null}
      {mayWrite ? (
        <details className="card" open={formOpen} onToggle={(event) => setFormOpen(event.currentTarget.open)}>
          <summary>New endpoint</summary>
          <form className="stack-form" onSubmit={(event) => void create(event)} aria-label="New webhook endpoint">
            <label>
              URL <span className="hint">(http:// or https://; receives a POST per event)</span>
              <input name="url" type="url" required maxLength={2048} placeholder="https://crm.example.com/hooks/keyhaven" />
            </label>
            <label>
              Description <span className="hint">(optional)</span>
              <input name="description" maxLength={500} />
            </label>
            <Show loaded={types}>{(list) => <EventPicker types={list} selected={events} onChange={setEvents} />}</Show>
            {error ? <ErrorMessage message={error} /> : null}
            <div>
              <button type="submit" className="primary" disabled={busy}>
                Create endpoint
              </button>
            </div>
          </form>
        </details>
      ) : null}
      <PagedTable
        list={list}
        label="Webhook endpoints"
        empty="No webhook endpoints yet."
        columns={['URL', 'Events', 'Health', 'Last delivery']}
        row={(endpoint) => (
          <tr key={endpoint.id}>
            <td>
              <Link to={`/console/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
              {endpoint.description ? <div className="hint">{endpoint.description}</div> : null}
            </td>
            <td>{eventsText(endpoint.events)}</td>
            <td>
              <HealthBadge endpoint={endpoint} />
              {endpoint.lastSuccessAt ? <div className="hint">last event delivered {formatDateTime(endpoint.lastSuccessAt)}</div> : null}
            </td>
            <td>
              <LastDelivery endpoint={endpoint} />
            </td>
          </tr>
        )}
      />
      {!mayWrite ? <p className="hint">Your role can look at webhooks but not change them.</p> : null}
    </section>
  );
}

/** The signing secret of a created or rotated endpoint, once. */
export function SecretOnceFor({ endpoint, onDone }: { endpoint: WebhookEndpointWithSecret; onDone: () => void }) {
  return <SecretOnce title={`Signing secret for ${endpoint.url}`} what="signing secret" secret={endpoint.secret} onDone={onDone} />;
}
