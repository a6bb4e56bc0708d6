import Type from 'typebox';
import { Id, Nullable, NullableTimestamp, StringEnum, Timestamp } from '../../http/schemas.js';
import { Email } from '../customers/customers.schemas.js';
import { MAIL_STATUSES } from './mail.repository.js';
import { GLOBAL_VARIABLES, MAIL_CATEGORIES } from './templates.js';

export const TemplateKey = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$', description: 'e.g. `license.issued`' });
export const TemplateKeyParams = Type.Object({ key: TemplateKey }, { additionalProperties: false });

const TemplateSource = {
  subject: Type.String({ minLength: 1, maxLength: 1000, description: 'Liquid template; rendered without HTML escaping, on one line' }),
  text: Type.String({ minLength: 1, maxLength: 100_000, description: 'Liquid template of the plain-text body (not escaped)' }),
  html: Type.String({ minLength: 1, maxLength: 200_000, description: 'Liquid template of the HTML body; every `{{ output }}` is HTML-escaped' }),
};

export const MailTemplateSchema = Type.Object({
  key: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.String(),
  description: Type.String(),
  category: StringEnum(MAIL_CATEGORIES, { description: 'The category it is normally sent in (non-essential mail carries an unsubscribe link)' }),
  customized: Type.Boolean({ description: 'Staff changed it; reset brings the default back' }),
  updatedBy: Nullable(Type.String()),
  updatedAt: NullableTimestamp,
  sampleData: Type.Record(Type.String(), Type.Unknown(), { description: 'Variables the sample preview uses; also what senders pass' }),
  globalVariables: Type.Array(StringEnum(GLOBAL_VARIABLES), { description: 'Variables every mail gets besides its own data (`unsubscribeUrl` is empty in essential mail)' }),
});

export const UpdateTemplateBody = Type.Object(TemplateSource, { additionalProperties: false });

export const PreviewBody = Type.Object(
  {
    subject: Type.Optional(TemplateSource.subject),
    text: Type.Optional(TemplateSource.text),
    html: Type.Optional(TemplateSource.html),
    data: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { maxProperties: 100, description: 'Variables (default: the template\'s sample data)' })),
    to: Type.Optional(Email),
  },
  { additionalProperties: false, description: 'Unsaved template parts to try (default: the stored ones) and data' },
);

export const RenderedSchema = Type.Object({ subject: Type.String(), text: Type.String(), html: Type.String() });

export const OutboxMailSchema = Type.Object({
  id: Type.String(),
  template: Type.String(),
  to: Type.Array(Type.String()),
  suppressedTo: Type.Array(Type.String(), { description: 'Recipients left out by their preferences' }),
  subject: Type.String(),
  text: Type.String({ description: 'As sent; one-time tokens in links are shown as [redacted]' }),
  html: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  category: StringEnum(MAIL_CATEGORIES),
  status: StringEnum(MAIL_STATUSES, {
    description: 'held: no SMTP configured · queued · sending · sent · failed (see lastError) · suppressed: every recipient opted out',
  }),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  messageId: Type.String(),
  dedupeKey: Nullable(Type.String()),
  customerId: Nullable(Type.String()),
  userId: Nullable(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  sentAt: NullableTimestamp,
});

export const OutboxQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(MAIL_STATUSES)),
    to: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    template: Type.Optional(TemplateKey),
    customerId: Type.Optional(Id),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const SendHeldBody = Type.Object(
  { ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 500, description: 'Only these mails (default: every held mail)' })) },
  { additionalProperties: false },
);

export const PreferencesSchema = Type.Object({
  email: Type.String(),
  reminders: Type.Boolean({ description: 'Expiry and trial reminders' }),
  announcements: Type.Boolean({ description: 'New releases and news' }),
  alerts: Type.Boolean({ description: 'Staff alerts' }),
  updatedAt: NullableTimestamp,
});

export const PreferencesParams = Type.Object({ email: Type.String({ minLength: 1, maxLength: 320, description: 'An e-mail address' }) }, { additionalProperties: false });

export const UpdatePreferencesBody = Type.Object(
  {
    reminders: Type.Optional(Type.Boolean()),
    announcements: Type.Optional(Type.Boolean()),
    alerts: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UnsubscribeParams = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 1000, pattern: '^[A-Za-z0-9_.-]+$', description: 'From the link in the mail' }) },
  { additionalProperties: false },
);
