import type { Db, Executor } from '../../db/database.js';
import { toIso } from '../../db/database.js';
import { DAY_MS, type Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { AuditEvent, RequestContext } from '../events/events.service.js';
import type { ExpiringLicense, LicensesService } from '../licenses/licenses.service.js';
import type { MailService } from '../mail/mail.service.js';
import type { ProductsService } from '../products/products.service.js';
import type { SettingsService } from '../settings/settings.service.js';
import { SlotPayload, type ModuleWiring } from '../../wiring.js';

/** The audit events that raise a staff alert, and the alert kind each one raises. */
export const ALERTING_EVENTS: Readonly<Record<string, EventAlertKind>> = {
  'machine.activation_refused': 'seat-limit',
  'usage.exhausted': 'credits-exhausted',
  'machine.overdraft_used': 'overdraft-used',
};
export type EventAlertKind = 'seat-limit' | 'credits-exhausted' | 'overdraft-used';
export type AlertKind = EventAlertKind | 'expiring';

/** The nearing-expiry alert sweep runs hourly, at ten past. */
export const EXPIRING_ALERT_CRON = '10 * * * *';
/** How many licenses a nearing-expiry digest lists by name (the rest are counted). */
const DIGEST_LINES = 50;
/** Licenses read per page by the nearing-expiry sweep. */
const PAGE = 1000;

export interface AlertOptions {
  publicUrl: string;
}

const TITLES: Record<EventAlertKind, string> = {
  'seat-limit': 'Seat limit reached',
  'credits-exhausted': 'Usage credits exhausted',
  'overdraft-used': 'Seat overdraft in use',
};

export interface AlertsDeps extends AlertOptions {
  db: Db;
  clock: Clock;
  licenses: LicensesService;
  products: ProductsService;
  customers: CustomersService;
  mail: MailService;
  settings: SettingsService;
}

/**
 * Internal alerts for staff, mailed to the alert recipients (setting `alertEmails`, read at each alert
 * and sweep; default KEYHAVEN_ALERT_EMAILS): a license's seat limit refusing an
 * activation, its usage credits running out, its seat overdraft being used (from the audit events, as they
 * are recorded), and trials and licenses nearing expiry (an hourly digest). Each is recorded once per
 * license, kind and UTC day (nearing expiry: once per term) in `staff_alerts`, whose unique key makes the
 * dedupe hold across processes; the mail is queued in the same transaction.
 */
export class AlertsService {
  constructor(private readonly deps: AlertsDeps) {}

  /** Alerts raised from events, and the hourly sweep for licenses about to expire. */
  wiring(): ModuleWiring {
    return {
      listeners: [this.onEvent],
      jobs: [{ type: 'alerts.expiring', payload: SlotPayload, run: async () => void (await this.sweepExpiring()), cron: EXPIRING_ALERT_CRON }],
    };
  }

  /** For EventsService.onRecord: runs inside the transaction that records the event. */
  readonly onEvent = async (executor: Executor, event: AuditEvent): Promise<void> => {
    const kind = ALERTING_EVENTS[event.action];
    if (kind === undefined || event.target.type !== 'license') return;
    // A refusal is recorded outside any transaction: give the alert and its mail one of their own.
    if (!executor.isTransaction) {
      await this.deps.db.transaction().execute((trx) => this.raise(trx, kind, event));
      return;
    }
    await this.raise(executor, kind, event);
  };

  private async raise(executor: Executor, kind: EventAlertKind, event: AuditEvent): Promise<void> {
    const licenseId = event.target.id;
    const day = event.at.slice(0, 10);
    const id = newId('alrt');
    const inserted = await executor
      .insertInto('staff_alerts')
      .values({ id, license_id: licenseId, customer_id: event.customerId, kind, dedupe_key: day, detail: JSON.stringify(event.after ?? {}), mail_id: null, at: event.at })
      .onConflict((oc) => oc.columns(['license_id', 'kind', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return;
    // The caller's transaction: `executor`, never this.deps.db.
    const { alertEmails } = await this.deps.settings.current(executor);
    if (alertEmails.length === 0) return;
    const system: RequestContext = { actor: SYSTEM_ACTOR };
    const license = await this.deps.licenses.getWith(executor, licenseId, this.deps.clock.now());
    const product = license && (await this.deps.products.getWith(executor, system, license.productId));
    const customer = license?.customerId ? await this.deps.customers.getWith(executor, system, license.customerId) : undefined;
    const after = (event.after ?? {}) as Record<string, unknown>;
    const details: Record<string, string> = {
      License: `${license?.name ?? licenseId} (${licenseId})`,
      Product: product?.name ?? '',
      Customer: customer?.name ?? '(none)',
    };
    let message: string;
    if (kind === 'seat-limit') {
      message = `An activation was refused: all ${String(after.maxMachines ?? license?.maxMachines ?? '')} seats are in use.`;
      if (after.fingerprint) details.Machine = String(after.fingerprint);
    } else if (kind === 'credits-exhausted') {
      message = `The usage credits for "${String(after.feature ?? '')}" are used up (${String(after.used ?? '')} of ${String(after.limit ?? '')}).`;
    } else {
      message = `The license uses ${String(after.activeMachines ?? '')} machines, more than its ${String(after.maxMachines ?? '')} seats (overdraft).`;
    }
    const sent = await this.deps.mail.send(executor, {
      template: 'staff.alert',
      to: [...alertEmails],
      data: { title: `${TITLES[kind]}: ${license?.name ?? licenseId}`, message, url: `${this.deps.publicUrl}/console/licenses/${licenseId}`, details },
      category: 'alerts',
      dedupeKey: `alert:${kind}:${licenseId}:${day}`,
    });
    await executor.updateTable('staff_alerts').set({ mail_id: sent.id }).where('id', '=', id).execute();
  }

  /**
   * Trials and licenses expiring within `alertExpiryDays` that staff have not been told about for this term
   * (auto-renewing subscriptions are left out: they do not lapse), as one digest mail. Returns how many
   * licenses the digest names. Without alert recipients nothing is recorded.
   */
  async sweepExpiring(): Promise<number> {
    const { alertEmails, alertExpiryDays } = await this.deps.settings.current();
    if (alertEmails.length === 0) return 0;
    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + alertExpiryDays * DAY_MS).toISOString();
    const window = { after: now.toISOString(), until, withCustomer: false, autoRenewing: false };
    const candidates: ExpiringLicense[] = [];
    for (let from: { expiresAt: string; id: string } | undefined; ; ) {
      const page = await this.deps.licenses.expiring(window, from, PAGE);
      candidates.push(...page);
      if (page.length < PAGE) break;
      from = page[page.length - 1]!;
    }
    if (candidates.length === 0) return 0;
    return this.deps.db.transaction().execute(async (trx) => {
      const fresh: typeof candidates = [];
      for (const c of candidates) {
        const { expiresAt } = c;
        const inserted = await trx
          .insertInto('staff_alerts')
          .values({
            id: newId('alrt'),
            license_id: c.id,
            customer_id: c.customerId,
            kind: 'expiring',
            dedupe_key: expiresAt,
            detail: JSON.stringify({ expiresAt, type: c.type }),
            mail_id: null,
            at: now.toISOString(),
          })
          .onConflict((oc) => oc.columns(['license_id', 'kind', 'dedupe_key']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) fresh.push(c);
      }
      if (fresh.length === 0) return 0;
      const trials = fresh.filter((c) => c.type === 'trial').length;
      const others = fresh.length - trials;
      const parts = [trials > 0 ? `${trials} trial${trials === 1 ? '' : 's'}` : '', others > 0 ? `${others} license${others === 1 ? '' : 's'}` : ''].filter(Boolean);
      const listed = fresh.slice(0, DIGEST_LINES);
      const products = await this.deps.products.labelsWith(trx, listed.map((c) => c.productId));
      const customers = await this.deps.customers.namesWith(trx, listed.flatMap((c) => (c.customerId ? [c.customerId] : [])));
      const details: Record<string, string> = {};
      for (const c of listed) {
        const customer = (c.customerId && customers.get(c.customerId)) ?? 'no customer';
        details[`${c.name} (${c.id})`] = `${c.type === 'trial' ? 'trial, ' : ''}expires ${c.expiresAt.slice(0, 10)}; ${products.get(c.productId)?.name}; ${customer}`;
      }
      if (fresh.length > DIGEST_LINES) details['…'] = `and ${fresh.length - DIGEST_LINES} more`;
      await this.deps.mail.send(trx, {
        template: 'staff.alert',
        to: [...alertEmails],
        data: {
          title: `${parts.join(' and ')} expire within ${alertExpiryDays} days`,
          message: 'These trials and licenses expire soon and will not renew by themselves.',
          url: `${this.deps.publicUrl}/console/licenses?expiresBefore=${encodeURIComponent(until)}`,
          details,
        },
        category: 'alerts',
        dedupeKey: `alert:expiring:${now.toISOString()}`,
      });
      return fresh.length;
    });
  }

  /** Alerts recorded for a license (newest first), for staff tools and tests. */
  async forLicense(licenseId: string): Promise<Array<{ kind: AlertKind; dedupeKey: string; at: string; mailId: string | null }>> {
    const rows = await this.deps.db.selectFrom('staff_alerts').selectAll().where('license_id', '=', licenseId).orderBy('id', 'desc').execute();
    return rows.map((r) => ({ kind: r.kind as AlertKind, dedupeKey: r.dedupe_key, at: toIso(r.at), mailId: r.mail_id }));
  }
}
