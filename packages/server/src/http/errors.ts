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
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_TRANSITION: 409,
  NOT_RENEWABLE: 422,
  LICENSE_PERPETUAL: 422,
  REFERENCE_NOT_FOUND: 422,
  REVOKED: 422,
  SUSPENDED: 422,
  NOT_STARTED: 422,
  EXPIRED: 422,
  TOO_MANY_MACHINES: 422,
  HEARTBEAT_DEAD: 422,
  FINGERPRINT_NOT_ACTIVATED: 422,
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
  NOT_A_TRIAL: 422,
  TRIAL_ALREADY_USED: 422,
  TRIAL_DURATION_NOT_ALLOWED: 422,
  TRIAL_NOT_CONFIGURED: 422,
  TRIALS_NOT_OFFERED: 422,
  TEMPLATE_INVALID: 400,
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
  DOWNLOAD_LINK_INVALID: 403,
  ARTIFACT_REMOVED: 410,
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

function fieldsOf(error: FastifyError & { validation?: AjvError[]; validationContext?: string }): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const v of error.validation ?? []) {
    let field = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'pattern' && v.params?.pattern === HTTP_URL_PATTERN) {
      fields[field] = 'must be an http:// or https:// URL';
      continue;
    }
    if (v.keyword === 'required' && typeof v.params?.missingProperty === 'string') {
      field = field ? `${field}.${v.params.missingProperty}` : v.params.missingProperty;
      fields[field] = 'is required';
      continue;
    }
    if (v.keyword === 'additionalProperties' && typeof v.params?.additionalProperty === 'string') {
      field = field ? `${field}.${v.params.additionalProperty}` : v.params.additionalProperty;
      fields[field] = 'is not a known field';
      continue;
    }
    fields[field || error.validationContext || 'body'] = v.message ?? 'is invalid';
  }
  return fields;
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
      return reply.status(error.statusCode).send(body(error.code, error.message, error.details));
    }
    if (error.validation) {
      const fields = fieldsOf(error);
      return reply
        .status(400)
        .send(body('VALIDATION_FAILED', `Invalid ${error.validationContext ?? 'request'}: ${Object.entries(fields).map(([f, m]) => `${f} ${m}`).join('; ')}`, { fields }));
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
