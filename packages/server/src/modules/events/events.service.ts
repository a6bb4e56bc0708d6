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
  action?: string;
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
 * The audit log. Every change to any record calls `record` inside the same transaction as the change,
 * so an event exists exactly when the change does.
 */
export class EventsService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(executor: Executor, ctx: RequestContext, event: RecordEvent): Promise<void> {
    const now = this.clock.now();
    await executor
      .insertInto('events')
      .values({
        id: newId('evt'),
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
  }

  async list(ctx: RequestContext, filter: EventFilter): Promise<Page<AuditEvent>> {
    let query = this.db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit + 1);
    query = eventScopeFilter(query, ctx.actor);
    if (filter.targetType) query = query.where('target_type', '=', filter.targetType);
    if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
    if (filter.action) query = query.where('action', '=', filter.action);
    if (filter.cursor) query = query.where('id', '<', filter.cursor);
    const rows = await query.execute();
    const events = rows.map(toEvent);
    return page(ctx.actor.scope.customerId !== undefined ? events.map(withoutStaffNotes) : events, filter.limit);
  }
}
