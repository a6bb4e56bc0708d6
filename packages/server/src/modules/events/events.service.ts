import type { Db, Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { EventsTable } from './events.tables.js';
import { isStaff, type Actor } from '../../http/access.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { eventScopeFilter, type PartnerCustomers } from './events.access.js';
export type { PartnerCustomers } from './events.access.js';
import { page, type Page } from '../../lib/pagination.js';

/** Who did something and through which request; passed from routes into every service call. */
export interface RequestContext {
  readonly actor: Actor;
  readonly requestId?: string;
  readonly ip?: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string };
  customerId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
}

export interface RecordEvent {
  action: string;
  targetType: string;
  targetId: string;
  customerId?: string | null;
  before?: unknown;
  after?: unknown;
}

export interface EventFilter {
  targetType?: string;
  targetId?: string;
  /** Exact, or a prefix when it ends in `.*` (`license.*`). */
  action?: string;
  actorId?: string;
  customerId?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** Staff notes are internal; customers reading their organization's history do not see them. */
function withoutStaffNotes(event: AuditEvent): AuditEvent {
  const strip = (value: unknown) =>
    value !== null && typeof value === 'object' && 'notes' in value ? { ...(value as Record<string, unknown>), notes: null } : value;
  return { ...event, before: strip(event.before), after: strip(event.after) };
}

function toEvent(row: EventsTable): AuditEvent {
  return {
    id: row.id,
    at: toIso(row.at),
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    customerId: row.customer_id,
    before: parseJson(row.before, null),
    after: parseJson(row.after, null),
    requestId: row.request_id,
    ip: row.ip,
  };
}

/** An event as lists show it: the actor's and the target's display names beside their ids (null when unknown or not visible). */
export type NamedEvent = Omit<AuditEvent, 'actor' | 'target'> & {
  actor: AuditEvent['actor'] & { name: string | null };
  target: AuditEvent['target'] & { name: string | null };
};

/**
 * Display names of one type of record by id, as the viewer may see them (a customer viewer gets no name of
 * another organization's record). The module owning the records registers it; ids it does not know are left out.
 */
export type EventNamer = (ctx: RequestContext, ids: string[]) => Promise<Map<string, string>>;

/** Actor types and the record type naming them; the admin token and the system have fixed names. */
const ACTOR_RECORD: Record<string, string> = { user: 'user', token: 'api_token', license: 'license' };
const FIXED_ACTOR_NAMES: Record<string, string> = { 'admin-token': 'Admin token', system: 'System' };

/**
 * Called for every recorded event, inside the transaction that records it, with that transaction's
 * executor (use only it: on SQLite the transaction holds the one connection). What a listener writes
 * commits or rolls back with the change (the outbox pattern); a listener that throws fails the change.
 * Listeners must be cheap: every change in the system passes through them.
 */
export type EventListener = (executor: Executor, event: AuditEvent) => Promise<void>;

export interface EventsDeps {
  db: Db;
  clock: Clock;
}

/**
 * The audit log. Every change to any record calls `record` inside the same transaction as the change,
 * so an event exists exactly when the change does.
 */
export class EventsService {
  private readonly listeners: EventListener[] = [];

  constructor(private readonly deps: EventsDeps) {}

  private readonly namers = new Map<string, EventNamer>();
  private partnerCustomers: PartnerCustomers | undefined;

  /** How a partner actor's event list finds its customers (the customers module's wiring, `partnerCustomers`). */
  usePartnerCustomers(partnerCustomers: PartnerCustomers): void {
    this.partnerCustomers = partnerCustomers;
  }

  /** Registers how records of `type` are named in event lists (each module names its own records). */
  addNamer(type: string, namer: EventNamer): void {
    this.namers.set(type, namer);
  }

  /** Adds display names: one query per record type on the page, not one per event. */
  private async withNames(ctx: RequestContext, events: AuditEvent[]): Promise<NamedEvent[]> {
    const wanted = new Map<string, Set<string>>();
    const want = (type: string | undefined, id: string | null) => {
      if (!type || id === null || !this.namers.has(type)) return;
      wanted.set(type, (wanted.get(type) ?? new Set()).add(id));
    };
    for (const e of events) {
      want(ACTOR_RECORD[e.actor.type], e.actor.id);
      want(e.target.type, e.target.id);
    }
    const names = new Map<string, Map<string, string>>();
    for (const [type, ids] of wanted) names.set(type, await this.namers.get(type)!(ctx, [...ids]));
    const nameOf = (type: string | undefined, id: string | null) => (type && id !== null ? (names.get(type)?.get(id) ?? null) : null);
    return events.map((e) => ({
      ...e,
      actor: { ...e.actor, name: FIXED_ACTOR_NAMES[e.actor.type] ?? nameOf(ACTOR_RECORD[e.actor.type], e.actor.id) },
      target: { ...e.target, name: nameOf(e.target.type, e.target.id) },
    }));
  }

  /** Subscribes to every recorded event (webhooks fan out from here). */
  onRecord(listener: EventListener): void {
    this.listeners.push(listener);
  }

  async record(executor: Executor, ctx: RequestContext, event: RecordEvent): Promise<void> {
    const now = this.deps.clock.now();
    const id = newId('evt');
    await executor
      .insertInto('events')
      .values({
        id,
        at: now.toISOString(),
        actor_type: ctx.actor.type,
        actor_id: ctx.actor.id,
        action: event.action,
        target_type: event.targetType,
        target_id: event.targetId,
        customer_id: event.customerId ?? null,
        before: event.before === undefined ? null : JSON.stringify(event.before),
        after: event.after === undefined ? null : JSON.stringify(event.after),
        request_id: ctx.requestId ?? null,
        ip: ctx.ip ?? null,
      })
      .execute();
    if (this.listeners.length === 0) return;
    const recorded: AuditEvent = {
      id,
      at: now.toISOString(),
      actor: { type: ctx.actor.type, id: ctx.actor.id },
      action: event.action,
      target: { type: event.targetType, id: event.targetId },
      customerId: event.customerId ?? null,
      before: event.before ?? null,
      after: event.after ?? null,
      requestId: ctx.requestId ?? null,
      ip: ctx.ip ?? null,
    };
    for (const listener of this.listeners) await listener(executor, recorded);
  }

  /** How many events of this action a record had since a time (anti-abuse windows count activations this way). */
  async count(executor: Executor, filter: { targetId: string; action: string; since: string; actorType?: string }): Promise<number> {
    let query = executor
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('target_id', '=', filter.targetId)
      .where('action', '=', filter.action)
      .where('at', '>=', filter.since);
    if (filter.actorType !== undefined) query = query.where('actor_type', '=', filter.actorType);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(ctx: RequestContext, filter: EventFilter): Promise<Page<NamedEvent>> {
    let query = this.deps.db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
    query = eventScopeFilter(query, ctx.actor, this.partnerCustomers);
    if (filter.targetType) query = query.where('target_type', '=', filter.targetType);
    if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
    // Action names are lower-case words, dots and underscores; `_` matching any one character is harmless here.
    if (filter.action?.endsWith('.*')) query = query.where('action', 'like', `${filter.action.slice(0, -1)}%`);
    else if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.actorId) query = query.where('actor_id', '=', filter.actorId);
    if (filter.customerId) query = query.where('customer_id', '=', filter.customerId);
    if (filter.since) query = query.where('at', '>=', new Date(filter.since).toISOString());
    if (filter.until) query = query.where('at', '<', new Date(filter.until).toISOString());
    if (filter.cursor) query = query.where('id', '<', filter.cursor);
    const rows = await query.execute();
    const events = rows.map(toEvent);
    const shown = page(!isStaff(ctx.actor) ? events.map(withoutStaffNotes) : events, filter.limit);
    return { ...shown, data: await this.withNames(ctx, shown.data) };
  }
}
