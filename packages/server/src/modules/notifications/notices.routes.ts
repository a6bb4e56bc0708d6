import Type from 'typebox';
import { commonErrors, ErrorBody, IdParams, Nonce, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { ctx, type App } from '../../http/types.js';
import type { Services } from '../../services.js';
import { ClientLicenseSchema } from '../licenses/licenses.schemas.js';
import { NOTICE_CODES } from './notices.service.js';

const clientErrors = { 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody, 429: ErrorBody };

const NoticesBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 100, description: 'The license key as typed; case, dashes and spaces do not matter' }),
    withinDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Expiry notices start this many days ahead (default: the longest reminder offset, 30)' })),
    version: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The app version (for new-release notices)' })),
    nonce: Type.Optional(Nonce),
  },
  { additionalProperties: false },
);

const NoticeSchema = Type.Object({
  id: Type.String({ description: 'Stable while the situation lasts: remember it to let a user dismiss the notice' }),
  code: StringEnum(NOTICE_CODES),
  severity: StringEnum(['info', 'warning', 'critical'] as const),
  title: Type.String(),
  message: Type.String(),
  at: Nullable(Type.String({ format: 'date-time' })),
  daysLeft: Nullable(Type.Integer()),
  url: Nullable(Type.String()),
});

const NoticesResponse = Type.Object({
  notices: Type.Array(NoticeSchema),
  license: ClientLicenseSchema,
  ts: Timestamp,
  nonce: Type.Optional(Type.String()),
});

const ReminderSchema = Type.Object({
  expiresAt: Timestamp,
  offset: Type.Integer({ description: 'Days before expiry; 0: the expired notice' }),
  mailId: Nullable(Type.String()),
  sentAt: Timestamp,
});

/** The in-app notices feed (a client operation) and the reminders a license was sent. */
export function noticeRoutes(app: App, { notices, reminders }: Services, options: { rateLimit: number }): void {
  app.post(
    '/v1/notices',
    {
      schema: {
        operationId: 'listNotices',
        summary: 'List notices to show for a license key',
        tags: ['client'],
        security: [],
        description:
          'What the app should show its user about the license: EXPIRING_SOON / TRIAL_ENDING within withinDays, GRACE_PERIOD, EXPIRED, SUBSCRIPTION_CANCELLED, NOT_STARTED, SUSPENDED, REVOKED (and NEW_RELEASE once releases exist), most severe first. The key is the credential; the answer is signed.',
        body: NoticesBody,
        response: { 200: NoticesResponse, ...clientErrors },
      },
      config: { access: { public: true }, signed: true, rateLimit: { max: options.rateLimit, timeWindow: 60_000 } },
    },
    async (request) => {
      const { nonce: _nonce, ...input } = request.body;
      return notices.list(input);
    },
  );

  app.get(
    '/v1/licenses/:id/reminders',
    {
      schema: {
        operationId: 'listLicenseReminders',
        summary: 'List the expiry reminders sent for a license',
        tags: ['licenses'],
        description: 'The expiry reminders (and expired notices) the license was sent, one per term and offset.',
        params: IdParams,
        response: { 200: Type.Object({ data: Type.Array(ReminderSchema) }), ...commonErrors },
      },
      config: { access: { permission: 'licenses:read' } },
    },
    async (request) => ({ data: await reminders.sent(ctx(request), request.params.id) }),
  );
}
