import Type from 'typebox';
import { Id, Nullable, Timestamp } from '../../http/schemas.js';

export const EventSchema = Type.Object({
  id: Type.String(),
  at: Timestamp,
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()), name: Type.Optional(Nullable(Type.String({ description: 'Display name (user name or e-mail, token name, license name); null when unknown' }))) }),
  action: Type.String({ description: 'e.g. license.suspended' }),
  target: Type.Object({ type: Type.String(), id: Type.String(), name: Type.Optional(Nullable(Type.String({ description: 'Display name of the target record; null when unknown or deleted' }))) }),
  customerId: Nullable(Type.String()),
  before: Type.Unknown(),
  after: Type.Unknown(),
  requestId: Nullable(Type.String()),
  ip: Nullable(Type.String()),
});

export const ListEventsQuery = Type.Object(
  {
    targetType: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    targetId: Type.Optional(Id),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'An exact action (license.suspended) or a prefix ending in .* (license.*)' })),
    actorId: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The user, token or license id that acted' })),
    customerId: Type.Optional(Id),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Events at or after this time' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Events before this time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Id),
  },
  { additionalProperties: false },
);
