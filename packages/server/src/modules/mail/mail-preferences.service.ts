import { timingSafeEqual } from 'node:crypto';
import type { Db, Executor } from '../../db/database.js';
import type { Keyring } from '../../crypto/keyring.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { findPreferenceRows, toPreferences, upsertPreferences, type MailPreferences } from './mail.repository.js';
import { OPTIONAL_CATEGORIES, type OptionalCategory } from './templates.js';

const ADDRESS = /^[^\s@<>(),;:"\\]+@[^\s@<>(),;:"\\]+\.[^\s@<>(),;:"\\]+$|^[^\s@<>(),;:"\\]+@localhost$/;

/** Whether `address` (trimmed, lower-cased) is an e-mail address mail can go to. */
export function isMailAddress(address: string): boolean {
  return ADDRESS.test(address) && address.length <= 254;
}

export interface MailPreferencesDeps {
  db: Db;
  clock: Clock;
  keyring: Keyring;
  events: EventsService;
  /** Unsubscribe links point here. */
  publicUrl: string;
}

/**
 * Who receives which optional mail: per-address opt-outs of the optional categories (`mail_preferences`),
 * set by the user, by staff, or by the signed one-click unsubscribe link every non-essential mail carries.
 */
export class MailPreferencesService {
  constructor(private readonly deps: MailPreferencesDeps) {}

  /**
   * The addresses among `addresses` (lower-cased) that turned `category` off, in one query: for callers
   * that show a recipient list before sending. `MailService.send` applies the same check again when it records.
   */
  async optedOut(executor: Executor, addresses: string[], category: OptionalCategory): Promise<Set<string>> {
    const list = [...new Set(addresses.map((a) => a.trim().toLowerCase()))];
    const out = new Set<string>();
    for (let i = 0; i < list.length; i += 500) {
      for (const row of await findPreferenceRows(executor, list.slice(i, i + 500))) if (!row[category]) out.add(row.email);
    }
    return out;
  }

  /** The signed-in user's own address; API tokens have none (403). */
  private ownAddress(ctx: RequestContext): string {
    // For user sessions the actor's label is the user's e-mail (see AuthService.fromSession).
    if (ctx.actor.type !== 'user' || !ctx.actor.label.includes('@')) {
      throw new AppError('FORBIDDEN', 'Mail preferences belong to a signed-in user; staff tokens use /v1/mail-preferences/{email}');
    }
    return ctx.actor.label.toLowerCase();
  }

  /** The signed-in user's preferences. */
  async getOwnPreferences(ctx: RequestContext): Promise<MailPreferences> {
    return this.getPreferences(this.ownAddress(ctx));
  }

  async updateOwnPreferences(ctx: RequestContext, patch: Partial<Record<OptionalCategory, boolean>>): Promise<MailPreferences> {
    return this.setPreferences(ctx, this.ownAddress(ctx), patch);
  }

  /** Any address's preferences (staff): users, customers' contact addresses, staff alert lists. */
  async getPreferences(email: string): Promise<MailPreferences> {
    const address = this.address(email);
    const [row] = await findPreferenceRows(this.deps.db, [address]);
    return toPreferences(address, row);
  }

  async updatePreferences(ctx: RequestContext, email: string, patch: Partial<Record<OptionalCategory, boolean>>): Promise<MailPreferences> {
    return this.setPreferences(ctx, this.address(email), patch);
  }

  /** A path segment that is not an address names no preferences: 404. */
  private address(email: string): string {
    const address = email.trim().toLowerCase();
    if (!isMailAddress(address)) throw notFound('Mail preferences of', email);
    return address;
  }

  private async setPreferences(ctx: RequestContext, address: string, patch: Partial<Record<OptionalCategory, boolean>>): Promise<MailPreferences> {
    const [current] = await findPreferenceRows(this.deps.db, [address]);
    const before = toPreferences(address, current);
    const next = { ...before, ...patch };
    const now = this.deps.clock.now().toISOString();
    await this.deps.db.transaction().execute(async (trx) => {
      await upsertPreferences(trx, {
        email: address,
        reminders: next.reminders ? 1 : 0,
        announcements: next.announcements ? 1 : 0,
        alerts: next.alerts ? 1 : 0,
        updated_by: ctx.actor.label,
        updated_at: now,
      });
      await this.deps.events.record(trx, ctx, {
        action: 'mail_preferences.updated',
        targetType: 'mail_preferences',
        targetId: address,
        before: { reminders: before.reminders, announcements: before.announcements, alerts: before.alerts },
        after: { reminders: next.reminders, announcements: next.announcements, alerts: next.alerts },
      });
    });
    return { ...next, updatedAt: now };
  }

  private unsubscribeSignature(email: string, category: OptionalCategory): string {
    return this.deps.keyring.digest('mail-unsubscribe', `${email}\n${category}`).slice(0, 40);
  }

  /**
   * The signed one-click link in non-essential mail: `<address>\n<category>` (base64url) and its HMAC.
   * No expiry: an unsubscribe link must keep working.
   */
  unsubscribeUrl(email: string, category: OptionalCategory): string {
    const address = email.trim().toLowerCase();
    const token = `${Buffer.from(`${address}\n${category}`).toString('base64url')}.${this.unsubscribeSignature(address, category)}`;
    return `${this.deps.publicUrl}/v1/mail/unsubscribe/${token}`;
  }

  /** Follows an unsubscribe link: checks the HMAC, then turns the category off for that address. 404 for a forged link. */
  async unsubscribe(ctx: RequestContext, token: string): Promise<MailPreferences & { category: OptionalCategory }> {
    const invalid = () => new AppError('NOT_FOUND', 'This unsubscribe link is not valid');
    const [payload, signature] = token.split('.');
    if (!payload || !signature || token.split('.').length !== 2) throw invalid();
    const [address, category] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
    if (!address || !(OPTIONAL_CATEGORIES as readonly string[]).includes(category ?? '')) throw invalid();
    const optional = category as OptionalCategory;
    const expected = Buffer.from(this.unsubscribeSignature(address, optional));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    const [current] = await findPreferenceRows(this.deps.db, [address]);
    if (current && !current[optional]) return { ...toPreferences(address, current), category: optional };
    return { ...(await this.setPreferences(ctx, address, { [optional]: false })), category: optional };
  }
}
