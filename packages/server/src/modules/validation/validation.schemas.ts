import Type from 'typebox';
import { Id, Nullable, StringEnum, Timestamp } from '../../http/schemas.js';
import { VALIDATION_CODES } from './validation.js';

const Time = (description: string) => Type.String({ format: 'date-time', description });

export const ListValidationsQuery = Type.Object(
  {
    licenseId: Type.Optional(Id),
    customerId: Type.Optional(Id),
    code: Type.Optional(StringEnum(VALIDATION_CODES, { description: 'Only validations that answered this code' })),
    from: Type.Optional(Time('Validations at or after this time')),
    to: Type.Optional(Time('Validations before this time')),
    ip: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The exact client IP address' })),
    fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The exact machine fingerprint the app sent' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const ValidationSchema = Type.Object({
  id: Type.String({ description: 'The log entry (ids grow as validations are written)' }),
  at: Timestamp,
  licenseId: Nullable(Type.String({ description: 'null: the key matched no license' })),
  customerId: Nullable(Type.String({ description: "The license's customer when it was validated" })),
  code: Type.String({ description: 'The validation code answered (VALID, EXPIRED, …)' }),
  fingerprint: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  version: Nullable(Type.String({ description: 'The app version it sent (validateLicense or checkForUpdate `version`)' })),
});

export const ValidationPage = Type.Object({ data: Type.Array(ValidationSchema), nextCursor: Nullable(Type.String()) });

export const VersionsReportQuery = Type.Object(
  {
    productId: Type.Optional(Id),
    from: Type.Optional(Time('Start of the period, included (default: 30 days before `to`)')),
    to: Type.Optional(Time('End of the period, excluded (default: now)')),
  },
  { additionalProperties: false },
);

export const VersionsReportSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  productId: Nullable(Type.String()),
  data: Type.Array(
    Type.Object({
      version: Type.String(),
      licenses: Type.Integer({ minimum: 0, description: 'Distinct licenses validated with this version in the period' }),
      fingerprints: Type.Integer({ minimum: 0, description: 'Distinct machine fingerprints (validations naming none are not counted)' }),
      lastSeenAt: Timestamp,
    }),
  ),
});
