import type { Db, Executor } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { deleteSetting, listStored, saveSetting, type StoredSetting } from './settings.repository.js';

/** The settings staff may change at run time; each defaults to its environment variable (config.ts). */
export interface SettingsValues {
  /** Days before expiry at which customers are reminded, longest first (KEYHAVEN_REMINDER_DAYS). */
  reminderDays: readonly number[];
  /** Remind auto-renewing subscriptions too (KEYHAVEN_REMIND_AUTO_RENEWING). */
  remindAutoRenewing: boolean;
  /** Staff alert recipients, lower-cased (KEYHAVEN_ALERT_EMAILS); empty: alerts are recorded, not mailed. */
  alertEmails: readonly string[];
  /** Staff hear about licenses expiring within this many days (KEYHAVEN_ALERT_EXPIRY_DAYS). */
  alertExpiryDays: number;
}
export type SettingKey = keyof SettingsValues;
export const SETTING_KEYS: readonly SettingKey[] = ['reminderDays', 'remindAutoRenewing', 'alertEmails', 'alertExpiryDays'];

type Plain<T> = T extends readonly (infer U)[] ? U[] : T;

/** A setting as staff see it: the value in force, the default, and whether it was set. */
export interface SettingView<T> {
  value: Plain<T>;
  default: Plain<T>;
  source: 'default' | 'set';
  updatedAt: string | null;
  updatedBy: string | null;
}
export type SettingsView = { [K in SettingKey]: SettingView<SettingsValues[K]> };

/** A change: a value sets the setting, `null` resets it to its default, a missing key leaves it alone. */
export type SettingsPatch = { [K in SettingKey]?: SettingsValues[K] | null };

export const MAX_REMINDER_DAYS = 10;
export const MAX_ALERT_EMAILS = 20;
export const MAX_DAYS = 365;
/** The same address rule as KEYHAVEN_ALERT_EMAILS: one address, no display name or list separators. */
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

type Reason = 'OUT_OF_RANGE' | 'DUPLICATE' | 'TOO_MANY' | 'INVALID_EMAIL' | 'INVALID_TYPE';

function invalid(setting: SettingKey, reason: Reason, message: string, value?: unknown): AppError {
  return new AppError('SETTING_INVALID', message, { setting, reason, ...(value !== undefined ? { value } : {}) });
}

const isDays = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_DAYS;

/**
 * Checks a new value against the setting's rules and returns it as stored (offsets longest first,
 * addresses lower-cased). Throws 400 SETTING_INVALID with `details.setting` and a stable `details.reason`.
 */
export function checkSetting<K extends SettingKey>(key: K, value: unknown): SettingsValues[K] {
  switch (key) {
    case 'reminderDays': {
      if (!Array.isArray(value)) throw invalid(key, 'INVALID_TYPE', 'Reminder offsets must be a list of days');
      const bad = value.find((d) => !isDays(d));
      if (bad !== undefined) throw invalid(key, 'OUT_OF_RANGE', `Reminder offsets must be whole days from 1 to ${MAX_DAYS} (got ${JSON.stringify(bad)})`, bad);
      const seen = new Set<number>();
      for (const d of value as number[]) {
        if (seen.has(d)) throw invalid(key, 'DUPLICATE', `The reminder offset ${d} is listed twice`, d);
        seen.add(d);
      }
      if (value.length > MAX_REMINDER_DAYS) throw invalid(key, 'TOO_MANY', `At most ${MAX_REMINDER_DAYS} reminder offsets (got ${value.length})`);
      return [...(value as number[])].sort((a, b) => b - a) as unknown as SettingsValues[K];
    }
    case 'alertEmails': {
      if (!Array.isArray(value)) throw invalid(key, 'INVALID_TYPE', 'Alert recipients must be a list of e-mail addresses');
      const seen = new Set<string>();
      for (const raw of value) {
        if (typeof raw !== 'string' || raw.length > 254 || !EMAIL.test(raw)) {
          throw invalid(key, 'INVALID_EMAIL', `Not an e-mail address: ${JSON.stringify(raw).slice(0, 80)}`, typeof raw === 'string' ? raw.slice(0, 254) : raw);
        }
        const address = raw.toLowerCase();
        if (seen.has(address)) throw invalid(key, 'DUPLICATE', `The address ${address} is listed twice`, address);
        seen.add(address);
      }
      if (value.length > MAX_ALERT_EMAILS) throw invalid(key, 'TOO_MANY', `At most ${MAX_ALERT_EMAILS} alert recipients (got ${value.length})`);
      return [...seen] as unknown as SettingsValues[K];
    }
    case 'alertExpiryDays':
      if (!isDays(value)) throw invalid(key, 'OUT_OF_RANGE', `Days before expiry must be a whole number from 1 to ${MAX_DAYS} (got ${JSON.stringify(value)})`, value);
      return value as unknown as SettingsValues[K];
    case 'remindAutoRenewing':
      if (typeof value !== 'boolean') throw invalid(key, 'INVALID_TYPE', 'remindAutoRenewing must be true or false');
      return value as unknown as SettingsValues[K];
  }
  throw new Error(`unknown setting ${String(key)}`);
}

/** The stored overrides that still pass their rules (a row that does not, e.g. edited by hand, counts as not set). */
function validStored(rows: StoredSetting[]): Map<SettingKey, StoredSetting> {
  const out = new Map<SettingKey, StoredSetting>();
  for (const row of rows) {
    if (!(SETTING_KEYS as readonly string[]).includes(row.key)) continue;
    const key = row.key as SettingKey;
    try {
      out.set(key, { ...row, value: checkSetting(key, row.value) });
    } catch {
      // Not a value this version accepts: the default applies.
    }
  }
  return out;
}

export interface SettingsDeps {
  db: Db;
  clock: Clock;
  events: EventsService;
  /** The environment's values, in force where staff set none. */
  defaults: SettingsValues;
}

/**
 * Settings staff change at run time (`settings` table) over the environment's defaults. Nothing is cached:
 * several processes share one database, so every reader asks for `current()` when it needs the values
 * (once per sweep, alert or request: one small query), and a change applies at the next use everywhere.
 */
export class SettingsService {
  constructor(private readonly deps: SettingsDeps) {}

  /** The values in force. Inside a transaction pass its `trx` (never `this.deps.db` there). */
  async current(executor: Executor = this.deps.db): Promise<SettingsValues> {
    const stored = validStored(await listStored(executor));
    const values = { ...this.deps.defaults } as Record<SettingKey, unknown>;
    for (const [key, row] of stored) values[key] = row.value;
    return values as unknown as SettingsValues;
  }

  /** Every setting with its value, default and source (`getSettings`). */
  async get(executor: Executor = this.deps.db): Promise<SettingsView> {
    return this.view(validStored(await listStored(executor)));
  }

  /**
   * Applies a change (`updateSettings`): each named setting is checked, then set or (null) reset, in one
   * transaction with one `settings.updated` event listing what changed (before and after: values in force).
   */
  async update(ctx: RequestContext, patch: SettingsPatch): Promise<SettingsView> {
    const changes = new Map<SettingKey, unknown>();
    for (const key of SETTING_KEYS) {
      const value = patch[key];
      if (value === undefined) continue;
      changes.set(key, value === null ? null : checkSetting(key, value));
    }
    const now = this.deps.clock.now().toISOString();
    return this.deps.db.transaction().execute(async (trx) => {
      const beforeView = this.view(validStored(await listStored(trx)));
      for (const [key, value] of changes) {
        if (value === null) await deleteSetting(trx, key);
        else await saveSetting(trx, { key, value, updatedAt: now, updatedBy: ctx.actor.label });
      }
      const afterView = this.view(validStored(await listStored(trx)));
      const pick = (view: SettingsView) => Object.fromEntries([...changes.keys()].map((key) => [key, { value: view[key].value, source: view[key].source }]));
      await this.deps.events.record(trx, ctx, { action: 'settings.updated', targetType: 'settings', targetId: 'settings', before: pick(beforeView), after: pick(afterView) });
      return afterView;
    });
  }

  private view(stored: Map<SettingKey, StoredSetting>): SettingsView {
    const entry = <K extends SettingKey>(key: K): SettingView<SettingsValues[K]> => {
      const row = stored.get(key);
      return {
        value: (row ? row.value : this.deps.defaults[key]) as Plain<SettingsValues[K]>,
        default: this.deps.defaults[key] as Plain<SettingsValues[K]>,
        source: row ? 'set' : 'default',
        updatedAt: row?.updatedAt ?? null,
        updatedBy: row?.updatedBy ?? null,
      };
    };
    return { reminderDays: entry('reminderDays'), remindAutoRenewing: entry('remindAutoRenewing'), alertEmails: entry('alertEmails'), alertExpiryDays: entry('alertExpiryDays') };
  }
}
