import Type, { type TSchema } from 'typebox';
import { Nullable, NullableTimestamp, StringEnum } from '../../http/schemas.js';
import { MAX_ALERT_EMAILS, MAX_DAYS, MAX_REMINDER_DAYS } from './settings.service.js';

function Setting<T extends TSchema>(value: T, description: string) {
  return Type.Object(
    {
      value: value,
      default: value,
      source: StringEnum(['default', 'set'] as const, { description: '`default`: the environment variable (or built-in default) applies; `set`: staff set it' }),
      updatedAt: NullableTimestamp,
      updatedBy: Nullable(Type.String({ description: 'Who set it (e-mail address or token name)' })),
    },
    { description },
  );
}

const Days = Type.Array(Type.Integer());
const Emails = Type.Array(Type.String());

export const SettingsSchema = Type.Object({
  reminderDays: Setting(Days, 'Days before expiry at which customers are reminded, longest first (KEYHAVEN_REMINDER_DAYS)'),
  remindAutoRenewing: Setting(Type.Boolean(), 'Auto-renewing subscriptions are reminded too (KEYHAVEN_REMIND_AUTO_RENEWING)'),
  alertEmails: Setting(Emails, 'Staff alert recipients (KEYHAVEN_ALERT_EMAILS); empty: alerts are recorded but not mailed'),
  alertExpiryDays: Setting(Type.Integer(), 'Staff are alerted about licenses expiring within this many days (KEYHAVEN_ALERT_EXPIRY_DAYS)'),
});

/**
 * Shapes only; the rules (ranges, duplicates, counts, address syntax) are the service's, answered as
 * 400 SETTING_INVALID with `details.setting` and `details.reason`.
 */
export const UpdateSettingsBody = Type.Object(
  {
    reminderDays: Type.Optional(
      Nullable(Type.Array(Type.Integer(), { maxItems: 100, description: `Whole days from 1 to ${MAX_DAYS}, no repeats, at most ${MAX_REMINDER_DAYS}; [] sends no reminders; null: back to the default` })),
    ),
    remindAutoRenewing: Type.Optional(Nullable(Type.Boolean({ description: 'null: back to the default' }))),
    alertEmails: Type.Optional(
      Nullable(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100, description: `E-mail addresses, no repeats, at most ${MAX_ALERT_EMAILS}; null: back to the default` })),
    ),
    alertExpiryDays: Type.Optional(Nullable(Type.Integer({ description: `1 to ${MAX_DAYS}; null: back to the default` }))),
  },
  { additionalProperties: false, minProperties: 1 },
);
