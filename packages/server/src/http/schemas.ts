import Type, { type Static, type TSchema } from 'typebox';

/** Shared schema pieces. Field names are camelCase as CONTRACT.md requires. */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Nullable(Timestamp);
/** What `HttpUrl` values must start with: a scheme of http or https and a host. */
export const HTTP_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+';

/**
 * Every URL a person or a webhook sender will follow (doc and video links, product pages, invoices,
 * webhook endpoints): an absolute http:// or https:// URI. `format: 'uri'` alone accepts `javascript:`,
 * `data:` and `vbscript:`, which a console or portal would render as a clickable link.
 */
export function HttpUrl(options: { maxLength?: number; description?: string } = {}) {
  return Type.String({
    format: 'uri',
    pattern: HTTP_URL_PATTERN,
    maxLength: options.maxLength ?? 2000,
    description: options.description ?? 'An absolute http:// or https:// URL',
  });
}

export const Metadata = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  maxProperties: 64,
  description: 'Free-form key/value data of your own',
});

export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

/**
 * What a client nonce may be: 1–200 visible ASCII characters. No spaces or line breaks, so a nonce can
 * never add a line to the signing string (http/signing.ts).
 */
export const NONCE_PATTERN = '^[\\x21-\\x7e]{1,200}$';
/** A client operation's nonce (body field; the `Keyhaven-Nonce` header wins when both are sent). */
export const Nonce = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: NONCE_PATTERN,
  description: 'A fresh random value per request (at least 128 bits), echoed in the signed answer and covered by its signature',
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable UPPER_SNAKE code' }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
    nonce: Type.Optional(Type.String({ description: "Signed client operations: the request's nonce" })),
  },
  { description: 'Every error has this shape' },
);

/**
 * `T | null`. A scalar becomes `{type: [t, "null"]}` rather than `anyOf`: the same meaning, but the
 * response serializer needs no runtime validation to pick a branch, which matters on the hot paths.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === 'string' && type !== 'object' && type !== 'array' && type !== 'null') {
    return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
  }
  return Type.Union([schema, Type.Null()]);
}

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ data: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/** The error responses most routes can give, for OpenAPI. */
export const commonErrors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
};

/** A string enum that keeps its literal union type. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** 204 answers. */
export const NoContent = Type.Null({ description: 'No content' });
