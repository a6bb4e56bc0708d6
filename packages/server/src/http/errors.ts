import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isForeignKeyViolation, isUniqueViolation } from '../db/database.js';
import { HTTP_URL_PATTERN } from './schemas.js';

/** Stable error codes with their HTTP status. Rule codes (422) are listed too so they stay documented. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  IN_USE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_TRANSITION: 409,
  NOT_RENEWABLE: 422,
  LICENSE_PERPETUAL: 422,
  NO_RECIPIENT: 422,
  REFERENCE_NOT_FOUND: 422,
  REVOKED: 422,
  SUSPENDED: 422,
  NOT_STARTED: 422,
  EXPIRED: 422,
  TOO_MANY_MACHINES: 422,
  HEARTBEAT_DEAD: 422,
  FINGERPRINT_NOT_ACTIVATED: 422,
  FINGERPRINT_REQUIRED: 422,
  SEAT_BORROWED: 422,
  USAGE_EXHAUSTED: 422,
  FEATURE_NOT_METERED: 422,
  ACTIVATION_LIMIT_REACHED: 422,
  DEACTIVATION_LIMIT_REACHED: 422,
  USER_NOT_ASSIGNED: 422,
  TOO_MANY_USERS: 422,
  ROLE_NOT_GRANTABLE: 403,
  NOT_A_SUBSCRIPTION: 422,
  CANCELLATION_PERIOD_PASSED: 422,
  FEATURES_MISSING: 422,
  SEATS_UNLIMITED: 422,
  POLICY_PRODUCT_MISMATCH: 422,
  QUOTA_EXHAUSTED: 422,
  QUOTA_BELOW_USED: 422,
  CONTRACT_ENDED: 422,
  CONTRACT_MISMATCH: 422,
  CONTRACT_SEATS_REQUIRED: 422,
  NOT_A_TRIAL: 422,
  TRIAL_ALREADY_USED: 422,
  TRIAL_DURATION_NOT_ALLOWED: 422,
  TRIAL_NOT_CONFIGURED: 422,
  TRIALS_NOT_OFFERED: 422,
  TEMPLATE_INVALID: 400,
  TEMPLATE_RENDER_LIMIT: 422,
  TOKEN_INVALID: 400,
  SMTP_NOT_CONFIGURED: 409,
  ORDER_CONFLICT: 409,
  SIGNATURE_INVALID: 400,
  STRIPE_EVENT_UNMAPPED: 422,
  INTEGRATION_NOT_CONFIGURED: 503,
  INVALID_VERSION: 400,
  VERSION_EXISTS: 409,
  ALREADY_ANNOUNCED: 409,
  TEMPLATE_UNKNOWN: 400,
  SETTING_INVALID: 400,
  CHECKSUM_MISMATCH: 400,
  INVALID_FILE_NAME: 400,
  NOT_ENTITLED: 403,
  CUSTOM_PRODUCT: 422,
  NOT_IN_ORGANIZATION: 422,
  ALLOCATION_INVALID: 422,
  DOWNLOAD_LINK_INVALID: 403,
  ARTIFACT_REMOVED: 410,
  CURRENT_PASSWORD_WRONG: 400,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The one error type services throw; the error handler shapes it into CONTRACT.md's body. */
export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
    this.statusCode = ERROR_STATUS[code];
  }
}

export const notFound = (what: string, id?: string): AppError =>
  new AppError('NOT_FOUND', id ? `${what} ${id} was not found` : `${what} was not found`);

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

function body(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

type AjvError = { instancePath?: string; message?: string; params?: Record<string, unknown>; keyword?: string };

/** One field a request got wrong: the words people read, and the rule for programs (`keyword`, `limit`…). */
export interface FieldProblem {
  field: string;
  /** The JSON Schema keyword that failed (`maxLength`, `pattern`, `format`, `required`…). */
  keyword: string;
  message: string;
  limit?: number;
  format?: string;
  pattern?: string;
  allowed?: unknown[];
}

/** The patterns our schemas use, in words. Unknown ones fall back to a generic sentence. */
const PATTERN_WORDS: Record<string, string> = {
  '^[a-z0-9][a-z0-9._-]*$': 'use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit',
  '^[a-z0-9][a-z0-9_.-]*$': 'use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit',
  '^[A-Za-z0-9_-]+$': 'use letters, digits, dashes and underscores only',
  '^[A-Za-z0-9_.-]+$': 'use letters, digits, dots, dashes and underscores only',
  '^[A-Za-z0-9][A-Za-z0-9._:-]*$': 'use letters, digits, dots, colons, dashes and underscores, starting with a letter or digit',
  '^[A-Za-z]{3}$': 'use a three-letter code (e.g. EUR)',
  '^[A-Za-z]{2}$': 'use a two-letter country code (e.g. DE)',
  '^[a-z-]+$': 'use lowercase letters and dashes only',
  '^[a-f0-9]{64}$': 'use 64 hexadecimal digits (a SHA-256)',
  '^[A-Fa-f0-9]{64}$': 'use 64 hexadecimal digits (a SHA-256)',
  '^\\S(.*\\S)?$': 'must not start or end with a space',
  [HTTP_URL_PATTERN]: 'must be an http:// or https:// URL',
};

const FORMAT_WORDS: Record<string, string> = {
  email: 'not a valid e-mail address',
  'date-time': 'not a valid timestamp (ISO-8601 with a time zone, e.g. 2026-01-31T09:00:00Z)',
  uri: 'not a valid URL',
  pem: 'not a PEM-encoded key',
  der: 'not a DER-encoded key',
  jwk: 'not a JSON Web Key',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Ajv's error in words, keeping the rule's parameters for programs. */
function describe(v: AjvError, field: string): FieldProblem {
  const keyword = v.keyword ?? 'invalid';
  const p = v.params ?? {};
  const limit = typeof p.limit === 'number' ? p.limit : undefined;
  const problem = (message: string, extra: Partial<FieldProblem> = {}): FieldProblem => ({ field, keyword, message, ...extra });
  switch (keyword) {
    case 'maxLength':
      return problem(`at most ${plural(limit!, 'character')}`, { limit: limit! });
    case 'minLength':
      return problem(limit === 1 ? 'must not be empty' : `at least ${plural(limit!, 'character')}`, { limit: limit! });
    case 'maximum':
      return problem(`at most ${limit}`, { limit: limit! });
    case 'minimum':
      return problem(`at least ${limit}`, { limit: limit! });
    case 'exclusiveMaximum':
      return problem(`less than ${limit}`, { limit: limit! });
    case 'exclusiveMinimum':
      return problem(`more than ${limit}`, { limit: limit! });
    case 'maxItems':
      return problem(`at most ${plural(limit!, 'item')}`, { limit: limit! });
    case 'minItems':
      return problem(`at least ${plural(limit!, 'item')}`, { limit: limit! });
    case 'maxProperties':
      return problem(`at most ${plural(limit!, 'entry', 'entries')}`, { limit: limit! });
    case 'minProperties':
      return problem(`at least ${plural(limit!, 'field')}`, { limit: limit! });
    case 'uniqueItems':
      return problem('must not list the same value twice');
    case 'pattern': {
      const pattern = String(p.pattern);
      return problem(PATTERN_WORDS[pattern] ?? 'has characters that are not allowed here', { pattern });
    }
    case 'format': {
      const format = String(p.format);
      return problem(FORMAT_WORDS[format] ?? `not a valid ${format}`, { format });
    }
    case 'type': {
      const types = String(p.type).split(',');
      return problem(`must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`);
    }
    case 'enum': {
      const allowed = Array.isArray(p.allowedValues) ? p.allowedValues : [];
      return problem(`must be one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, { allowed });
    }
    case 'const':
      return problem(`must be ${JSON.stringify(p.allowedValue)}`, { allowed: [p.allowedValue] });
    case 'multipleOf':
      return problem(`must be a multiple of ${String(p.multipleOf)}`);
    case 'anyOf':
    case 'oneOf':
      return problem('does not match any allowed form');
    default:
      return problem(v.message ?? 'is invalid');
  }
}

/**
 * How telling an error is about its field: a union's summary (`anyOf`) and "must be null" (the other
 * branch of a nullable field) say less than the rule the value actually broke.
 */
function specificity(problem: FieldProblem): number {
  if (problem.keyword === 'anyOf' || problem.keyword === 'oneOf') return 0;
  if (problem.keyword === 'type' && problem.message === 'must be null') return 1;
  return 2;
}

/** One problem per field (the most telling), in the order the fields failed. */
export function problemsOf(errors: AjvError[], context: string | undefined): FieldProblem[] {
  const byField = new Map<string, FieldProblem>();
  for (const v of errors) {
    let field = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    let problem: FieldProblem;
    if (v.keyword === 'required' && typeof v.params?.missingProperty === 'string') {
      field = field ? `${field}.${v.params.missingProperty}` : v.params.missingProperty;
      problem = { field, keyword: 'required', message: 'is required' };
    } else if (v.keyword === 'additionalProperties' && typeof v.params?.additionalProperty === 'string') {
      field = field ? `${field}.${v.params.additionalProperty}` : v.params.additionalProperty;
      problem = { field, keyword: 'additionalProperties', message: 'is not a known field' };
    } else {
      problem = describe(v, field || context || 'body');
    }
    const seen = byField.get(problem.field);
    if (!seen || specificity(problem) > specificity(seen)) byField.set(problem.field, problem);
  }
  return [...byField.values()];
}

/**
 * Errors Fastify raises before routing (a malformed percent-encoding in the URL, a path parameter longer
 * than `maxParamLength`): they never reach the error handler, so the Fastify option `frameworkErrors`
 * sends them here to get the same body as every other error.
 */
export function sendFrameworkError(error: FastifyError, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const reason = error.code === 'FST_ERR_BAD_URL' ? 'is not a valid URL (bad percent-encoding)' : 'has a path segment that is too long';
    reply.status(400).send(body('VALIDATION_FAILED', `The request path ${reason}`, { fields: { path: reason } }));
    return;
  }
  const status = error.statusCode ?? 500;
  reply.status(status).send(body(status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL', status < 500 ? error.message : 'Internal error'));
}

/**
 * Shapes every error. Known errors keep their code and status; anything unexpected is logged with the
 * request id and answered as a bare 500 `INTERNAL` without internals.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (error instanceof AppError) {
      const retryAfter = error.details?.retryAfterSeconds;
      if (error.code === 'RATE_LIMITED' && typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfter));
      return reply.status(error.statusCode).send(body(error.code, error.message, error.details));
    }
    if (error.validation) {
      // `fields` (field → words) is what people and forms read; `problems` keeps each rule for programs.
      const problems = problemsOf(error.validation, error.validationContext);
      const fields = Object.fromEntries(problems.map((p) => [p.field, p.message]));
      return reply.status(400).send(body('VALIDATION_FAILED', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { fields, problems }));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.status(400).send(body('VALIDATION_FAILED', 'The request body is not valid JSON', { fields: { body: 'is not valid JSON' } }));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.status(413).send(body('PAYLOAD_TOO_LARGE', 'The request body is too large'));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return reply.status(415).send(body('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'));
    }
    if (isUniqueViolation(error)) {
      return reply.status(409).send(body('CONFLICT', 'A record with the same unique value already exists'));
    }
    if (isForeignKeyViolation(error)) {
      return reply.status(422).send(body('REFERENCE_NOT_FOUND', 'A referenced record does not exist'));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Other client errors raised by Fastify or its plugins (e.g. a malformed URL).
      return reply.status(status).send(body(status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', error.message));
    }
    request.log.error({ err: error, reqId: request.id }, 'unexpected error');
    return reply.status(500).send(body('INTERNAL', `Internal error; quote request id ${request.id} to support`));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
