import type { Db, Executor } from '../../db/database.js';
import { parseJson, toIso } from '../../db/database.js';
import type { EventsTable } from '../../db/schema.js';
import type { Actor } from '../../http/access.js';
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { eventScopeFilter } from './events.access.js';
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

/**
 * Called for every recorded event, inside the transaction that records it, with that transaction's
 * executor (use only it: on SQLite the transaction holds the one connection). What a listener writes
 * commits or rolls back with the change (the outbox pattern); a listener that throws fails the change.
 * Listeners must be cheap: every change in the system passes through them.
 */
export type EventListener = (executor: Executor, event: AuditEvent) => Promise<void>;

/**
 * The audit log. Every change to any record calls `record` inside the same transaction as the change,
 * so an event exists exactly when the change does.
 */
export class EventsService {
  private readonly listeners: EventListener[] = [];

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** Subscribes to every recorded event (webhooks fan out from here). */
  onRecord(listener: EventListener): void {
    this.listeners.push(listener);
  }

  async record(executor: Executor, ctx: RequestContext, event: RecordEvent): Promise<void> {
    const now = this.clock.now();
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

  async list(ctx: RequestContext, filter: EventFilter): Promise<Page<AuditEvent>> {
    let query = this.db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
    query = eventScopeFilter(query, ctx.actor);
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
    return page(ctx.actor.scope.customerId !== undefined ? events.map(withoutStaffNotes) : events, filter.limit);
  }
}
