import { answer, client, everyOf, type Answer, type ItemOf, type QueryOf } from './api.js';

/** Client calls and types of the validation log (license, customer and portal pages) and the versions report. */

export type Validation = ItemOf<'/v1/validations'>;
export type ValidationCode = NonNullable<QueryOf<'/v1/validations'>['code']>;
/** Every code a validation answers, in the order the checks run (the server's VALIDATION_CODES). */
export const VALIDATION_CODES = everyOf<ValidationCode>()([
  'NOT_FOUND',
  'REVOKED',
  'SUSPENDED',
  'NOT_STARTED',
  'EXPIRED',
  'PRODUCT_MISMATCH',
  'DOMAIN_NOT_ALLOWED',
  'COUNTRY_NOT_ALLOWED',
  'NO_MACHINE',
  'FINGERPRINT_NOT_ACTIVATED',
  'TOO_MANY_MACHINES',
  'HEARTBEAT_DEAD',
  'FEATURES_MISSING',
  'USAGE_EXHAUSTED',
  'GRACE_PERIOD',
  'MAINTENANCE_EXPIRED',
  'OVERDRAFT',
  'VALID',
]);

/** The log's filters: one license or one customer, plus code, period (instants; `to` excluded), IP and fingerprint. */
export type ValidationFilter = Omit<QueryOf<'/v1/validations'>, 'limit' | 'cursor'>;

export type VersionsReport = Answer<'/v1/reports/versions', 'get'>;
export type VersionUse = VersionsReport['data'][number];

export const validationsApi = {
  listValidations: (filter: ValidationFilter, cursor: string | null, limit = 50) =>
    answer(client.GET('/v1/validations', { params: { query: { ...filter, limit, cursor: cursor ?? undefined } } })),
  versionsReport: (query: QueryOf<'/v1/reports/versions'>) => answer(client.GET('/v1/reports/versions', { params: { query } })),
};
