import { Fragment, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import type { AuditEvent } from '../api/api.js';
import { can, useSession } from '../session.js';
import { Empty, PagedTable, Show, useLoad, usePagedList } from '../ui/ui.js';
import { catalogApi, type UserRecord } from '../api/catalog.js';
import { changesOf, formatCompactTime, formatDateTime, readableValue } from '../ui/format.js';

/**
 * The audit log (`GET /v1/events`): every change anyone made, newest first, filtered by action (exact or
 * `license.*`), subject, actor, customer and a date range; each row opens a readable view of what changed.
 */

const SUBJECT_TYPES = ['license', 'machine', 'customer', 'user', 'product', 'policy', 'release', 'artifact', 'order', 'mail', 'mail_template', 'webhook_endpoint', 'api_token', 'faq', 'job'];
const ACTION_PREFIXES = ['license.*', 'subscription.*', 'machine.*', 'customer.*', 'user.*', 'product.*', 'policy.*', 'release.*', 'order.*', 'mail.*'];
const FILTERS = ['action', 'targetType', 'targetId', 'actorId', 'customerId', 'from', 'to'] as const;
type Filter = Record<(typeof FILTERS)[number], string>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where the console shows an event's subject, when it has a page for it. */
function subjectPath(event: AuditEvent): string | null {
  if (event.action.endsWith('.deleted')) return null;
  const id = encodeURIComponent(event.target.id);
  switch (event.target.type) {
    case 'license':
      return `/console/licenses/${id}`;
    case 'customer':
      return `/console/customers/${id}`;
    case 'product':
      return `/console/products/${id}`;
    case 'policy':
      return `/console/policies/${id}`;
    case 'release':
      return `/console/releases/${id}`;
    case 'user':
      return event.customerId ? `/console/customers/${encodeURIComponent(event.customerId)}` : null;
    default:
      return null;
  }
}

/** The name the server resolved; else the subject's own name when the event carries it (a product's name, a user's e-mail); else its id. */
function subjectName(event: AuditEvent, users: UserRecord[]): string {
  if (event.target.name) return event.target.name;
  if (event.target.type === 'user') {
    const known = users.find((u) => u.id === event.target.id);
    if (known) return known.email;
  }
  const fields = event.target.type === 'user' ? ['email'] : ['name', 'email', 'version', 'question'];
  for (const state of [event.after, event.before]) {
    if (!isRecord(state)) continue;
    for (const field of fields) if (typeof state[field] === 'string' && state[field]) return state[field] as string;
  }
  return event.target.id;
}

/** The subject's type and name, linked to its page; `users` (when the role may list them) names users. */
export function Subject({ event, users = [] }: { event: AuditEvent; users?: UserRecord[] }) {
  const path = subjectPath(event);
  const label = subjectName(event, users);
  return (
    <span>
      <span className="hint">{event.target.type.replace(/_/g, ' ')}</span> {path ? <Link to={path}>{label}</Link> : label}
    </span>
  );
}

/** Who acted, by the name the server resolved (a user's name, a token's name), else by kind and id. */
export function actorLabel(event: AuditEvent, users: UserRecord[] = []): string {
  const { type, id, name } = event.actor;
  if (name) return type === 'token' ? `API token ${name}` : type === 'license' ? `application (${name})` : name;
  if (type === 'user') return users.find((u) => u.id === id)?.email ?? `user ${id ?? ''}`;
  if (type === 'admin-token') return 'admin token';
  if (type === 'token') return `API token ${id ?? ''}`;
  if (type === 'license') return `application (license ${id ?? ''})`;
  return type;
}

/** The fields of a created or deleted record, one level deep, as term and value. */
function fieldsOf(state: Record<string, unknown>): Array<[string, string]> {
  return Object.entries(state)
    .filter(([name]) => name !== 'id' && name !== 'updatedAt')
    .map(([name, value]): [string, string] => {
      if (isRecord(value)) {
        const parts = Object.entries(value).map(([k, v]) => `${k}: ${readableValue(v)}`);
        return [name, parts.length ? parts.join('; ') : '—'];
      }
      if (Array.isArray(value) && value.some(isRecord)) return [name, `${value.length} item${value.length === 1 ? '' : 's'}`];
      return [name, readableValue(value)];
    })
    .slice(0, 30);
}

function EventDetails({ event }: { event: AuditEvent }) {
  const changes = changesOf(event.before, event.after);
  const state = isRecord(event.before) && isRecord(event.after) ? null : isRecord(event.after) ? event.after : isRecord(event.before) ? event.before : null;
  return (
    <dl className="facts event-details">
      <dt>Event</dt>
      <dd>
        <code>{event.id}</code>
      </dd>
      {changes.length > 0 ? (
        <>
          <dt>Changed</dt>
          <dd>
            <ul className="plain">
              {changes.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          </dd>
        </>
      ) : null}
      {state
        ? fieldsOf(state).map(([term, value]) => (
            <Fragment key={term}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </Fragment>
          ))
        : null}
      {event.customerId ? (
        <>
          <dt>Customer</dt>
          <dd>
            <Link to={`/console/customers/${encodeURIComponent(event.customerId)}`}>{event.customerId}</Link>
          </dd>
        </>
      ) : null}
      <dt>Request</dt>
      <dd>{event.requestId ?? '—'}</dd>
      <dt>IP address</dt>
      <dd>{event.ip ?? '—'}</dd>
    </dl>
  );
}

/** A date field (local day) as the API's instant: the start of that day, or of the next for "to". */
function dayStart(day: string, next = false): string | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (next) date.setDate(date.getDate() + 1);
  return date.toISOString();
}

export function Events() {
  const { me } = useSession();
  const [params, setParams] = useSearchParams();
  const filter = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ''])) as Filter;
  const key = FILTERS.map((name) => filter[name]).join('|');
  const mayReadUsers = can(me, 'users:read');
  const users = useLoad(() => (mayReadUsers ? catalogApi.listUsers({}).then((page) => page.data) : Promise.resolve([])), `users:${mayReadUsers}`);
  const actions = useLoad(
    () => (can(me, 'webhooks:read') ? catalogApi.eventTypes().then((types) => types.map((t) => t.type)) : Promise.resolve([])),
    'event-types',
  );
  const list = usePagedList(
    (cursor) =>
      catalogApi.listEvents({
        action: filter.action || undefined,
        targetType: filter.targetType || undefined,
        targetId: filter.targetId || undefined,
        actorId: filter.actorId || undefined,
        customerId: filter.customerId || undefined,
        since: dayStart(filter.from),
        until: dayStart(filter.to, true),
        cursor,
      }),
    key,
  );
  const [open, setOpen] = useState<string | null>(null);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = String(form.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    setParams(next);
  }

  return (
    <section aria-labelledby="events-title">
      <h1 id="events-title">Events</h1>
      <form key={key} className="filters" onSubmit={apply} aria-label="Filter events">
        <label>
          Action <span className="hint">(e.g. license.suspended or license.*)</span>
          <input name="action" list="event-actions" defaultValue={filter.action} maxLength={100} />
          <datalist id="event-actions">
            {[...ACTION_PREFIXES, ...(actions.data ?? [])].map((action) => (
              <option key={action} value={action} />
            ))}
          </datalist>
        </label>
        <label>
          Subject type
          <select name="targetType" defaultValue={filter.targetType}>
            <option value="">any</option>
            {SUBJECT_TYPES.map((type) => (
              <option key={type} value={type}>
                {type.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Subject id
          <input name="targetId" defaultValue={filter.targetId} maxLength={100} />
        </label>
        <label>
          Actor
          {users.data && users.data.length > 0 ? (
            <select name="actorId" defaultValue={filter.actorId}>
              <option value="">anyone</option>
              {users.data.map((user) => (
                <option key={user.id} value={user.id}>
                  {user.email}
                </option>
              ))}
            </select>
          ) : (
            <input name="actorId" defaultValue={filter.actorId} maxLength={100} placeholder="user or token id" />
          )}
        </label>
        {filter.customerId ? <input type="hidden" name="customerId" value={filter.customerId} /> : null}
        <label>
          From
          <input name="from" type="date" defaultValue={filter.from} />
        </label>
        <label>
          To <span className="hint">(inclusive)</span>
          <input name="to" type="date" defaultValue={filter.to} />
        </label>
        <div className="form-end">
          <button type="submit" className="primary">
            Apply filters
          </button>
          {key.replace(/\|/g, '') ? <Link to="/console/events">Clear filters</Link> : null}
        </div>
      </form>
      {filter.customerId ? (
        <p className="hint">
          Events of <Link to={`/console/customers/${encodeURIComponent(filter.customerId)}`}>one customer</Link> only.
        </p>
      ) : null}
      <PagedTable
        list={list}
        label="Audit events, newest first"
        testId="events"
        empty="No events match."
        columns={['Time', 'Action', 'Actor', 'Subject', <span className="visually-hidden">Details</span>]}
        row={(event) => (
          <Fragment key={event.id}>
            <tr>
              <td className="nowrap">
                <time dateTime={event.at} title={formatDateTime(event.at)}>
                  {formatCompactTime(event.at)}
                </time>
              </td>
              <td>
                <code>{event.action}</code>
              </td>
              <td>{actorLabel(event, users.data ?? [])}</td>
              <td>
                <Subject event={event} users={users.data ?? []} />
              </td>
              <td>
                <button type="button" aria-expanded={open === event.id} aria-controls={`details-${event.id}`} onClick={() => setOpen(open === event.id ? null : event.id)}>
                  {open === event.id ? 'Hide' : 'Details'}
                  <span className="visually-hidden"> of {event.action}</span>
                </button>
              </td>
            </tr>
            {open === event.id ? (
              <tr id={`details-${event.id}`}>
                <td colSpan={5}>
                  <EventDetails event={event} />
                </td>
              </tr>
            ) : null}
          </Fragment>
        )}
      />
    </section>
  );
}

/** The dashboard's card: the latest changes, each with its subject's link. */
export function RecentEvents() {
  const recent = useLoad(() => catalogApi.listEvents({ limit: 8 }), 'recent-events');
  return (
    <section className="card" aria-labelledby="recent-events-title">
      <h2 id="recent-events-title">Recent events</h2>
      <Show loaded={recent}>
        {(page) =>
          page.data.length === 0 ? (
            <Empty>Nothing has happened yet.</Empty>
          ) : (
            <ol className="timeline" aria-label="Recent events" data-testid="recent-events">
              {page.data.map((event) => (
                <li key={event.id}>
                  <time dateTime={event.at}>{formatDateTime(event.at)}</time>
                  <span className="timeline-action">{event.action}</span>
                  <Subject event={event} /> <span className="hint">by {actorLabel(event)}</span>
                </li>
              ))}
            </ol>
          )
        }
      </Show>
      <p>
        <Link to="/console/events">All events</Link>
      </p>
    </section>
  );
}
