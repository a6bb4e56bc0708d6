import type { FastifyServerOptions } from 'fastify';

/**
 * Query parameters that carry a credential somewhere in the API or the web app: set-password links
 * (`token`), the license lookup (`key`), the HMAC of download links (`s`), and the usual names of
 * secrets other integrations put in URLs. Matched case-insensitively after percent-decoding the name.
 */
export const SECRET_QUERY_PARAMETERS: ReadonlySet<string> = new Set([
  'token',
  'key',
  's',
  'sig',
  'signature',
  'secret',
  'password',
  'access_token',
  'api_key',
  'apikey',
  'client_secret',
]);

/** Paths whose last segment is a credential: the signed unsubscribe link. */
const SECRET_PATH = /(\/v1\/mail\/unsubscribe\/)[^/?#\s"\\]+/g;

/** `?name=value` or `&name=value` anywhere in a line (a URL inside JSON is not escaped apart from `"` and `\`). */
const QUERY_PAIR = /([?&])([^=&?#\s"\\]+)=([^&#\s"\\]*)/g;

export const REDACTED = '[REDACTED]';

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/**
 * Replaces the value of every secret query parameter and every secret path segment in `text` (a URL, a
 * message, or a whole serialized log line), keeping everything else, so a log still shows which route
 * was called with which non-secret parameters.
 */
export function redactSecrets(text: string): string {
  if (!text.includes('=') && !text.includes('/unsubscribe/')) return text;
  return text
    .replace(QUERY_PAIR, (whole, sep: string, name: string, value: string) =>
      value !== '' && SECRET_QUERY_PARAMETERS.has(decodeName(name)) ? `${sep}${name}=${REDACTED}` : whole,
    )
    .replace(SECRET_PATH, `$1${REDACTED}`);
}

/**
 * Adds secret redaction to whatever logger options the process chose: every line the logger writes (the
 * request log, the error handler's, plugins' and child loggers', since they share the stream) passes
 * `redactSecrets` just before it is written. `false` (no logging) stays `false`.
 */
export function withSecretRedaction(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const options = logger === true ? {} : logger;
  const previous = options.hooks?.streamWrite;
  return {
    ...options,
    redact: {
      ...(options.redact && !Array.isArray(options.redact) ? options.redact : {}),
      paths: [...(Array.isArray(options.redact) ? options.redact : (options.redact?.paths ?? [])), 'req.headers.authorization', 'req.headers.cookie'],
    },
    hooks: { ...options.hooks, streamWrite: (line: string) => redactSecrets(previous ? previous(line) : line) },
  };
}
