import path from 'node:path';
import { SQLITE_DRIVERS, sqliteDriverProblem, type SqliteDriver } from './db/sqlite.js';

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * One environment variable: what it accepts, its default and what it is for. `int` and `bool` settings carry
 * the values the parser uses (range and fallback), so the documentation cannot drift from them; `text`
 * settings are checked in `loadConfig` and describe their accepted values in words.
 */
export type Setting =
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly fallback: number; readonly description: string }
  | { readonly kind: 'bool'; readonly fallback: boolean; readonly description: string }
  | { readonly kind: 'text'; readonly values: string; readonly default: string; readonly description: string };

/**
 * Every environment variable `loadConfig` reads, in the order the configuration reference lists them.
 * `loadConfig` reads the environment only through these names (by type), and config-docs.test.ts checks
 * that it reads each of them; docs/configuration.md is generated from this table (scripts/config-docs.mjs).
 * Descriptions are Markdown, one line, with links relative to docs/.
 */
export const SETTINGS = {
  PORT: { kind: 'int', min: 0, max: 65535, fallback: 8080, description: 'HTTP port.' },
  HOST: { kind: 'text', values: 'an interface address', default: '`0.0.0.0`', description: 'Interface to listen on.' },
  KEYHAVEN_PUBLIC_URL: {
    kind: 'text',
    values: 'http(s) URL',
    default: '`http://localhost:$PORT`',
    description: 'Public base URL, printed at start, used in links and as the OpenAPI `servers` entry (a trailing `/` is dropped).',
  },
  KEYHAVEN_DATA_DIR: {
    kind: 'text',
    values: 'a directory',
    default: '`./data`',
    description: 'Directory for the SQLite database (`keyhaven.sqlite`), the master key file and local artifacts. Relative to the current directory.',
  },
  DATABASE_URL: {
    kind: 'text',
    values: '`postgres://` or `postgresql://` URL',
    default: 'unset: SQLite',
    description: 'Use PostgreSQL instead of the embedded SQLite database; see [Running on PostgreSQL](operations.md#running-on-postgresql).',
  },
  KEYHAVEN_SQLITE_DRIVER: {
    kind: 'text',
    values: SQLITE_DRIVERS.map((driver) => `\`${driver}\``).join(' or '),
    default: 'unset: by runtime',
    description:
      'The SQLite driver; see [Node.js versions and the SQLite driver](operations.md#nodejs-versions-and-the-sqlite-driver). A driver the runtime cannot run is a configuration error.',
  },
  KEYHAVEN_MASTER_KEY: {
    kind: 'text',
    values: '32 bytes in base64',
    default: 'unset: key file',
    description: 'The master key itself (`openssl rand -base64 32`); see [Secrets and backups](operations.md#secrets-and-backups).',
  },
  KEYHAVEN_MASTER_KEY_FILE: {
    kind: 'text',
    values: 'a file path',
    default: '`$KEYHAVEN_DATA_DIR/master.key`',
    description: 'Where the master key file is read, or created on first start, when `KEYHAVEN_MASTER_KEY` is unset.',
  },
  KEYHAVEN_ADMIN_TOKEN: {
    kind: 'text',
    values: 'at least 16 characters',
    default: 'unset',
    description: 'A bearer token accepted as an owner, for automation. Not stored anywhere.',
  },
  LOG_LEVEL: {
    kind: 'text',
    values: LOG_LEVELS.map((level) => `\`${level}\``).join(', '),
    default: '`info`',
    description:
      'Logs are JSON lines on stdout; the `authorization` header is redacted, and so is every secret a URL can carry, in every line: the values of the query parameters `token`, `key`, `s`, `sig`, `signature`, `secret`, `password`, `access_token`, `api_key`, `apikey`, `client_secret` (set-password links, license lookups, download-link HMACs) and the token of `/v1/mail/unsubscribe/…` become `[REDACTED]`.',
  },
  KEYHAVEN_CLIENT_RATE_LIMIT: {
    kind: 'int',
    min: 1,
    max: 100_000_000,
    fallback: 1200,
    description: 'Requests per minute per client IP on the client operations (`POST /v1/licenses/validate`, activate, ...).',
  },
  KEYHAVEN_SIGNIN_RATE_LIMIT: { kind: 'int', min: 1, max: 100_000, fallback: 10, description: 'Sign-in attempts per minute per client IP.' },
  KEYHAVEN_SESSION_TTL_HOURS: { kind: 'int', min: 1, max: 24 * 90, fallback: 12, description: 'Lifetime of a session from sign-in, in hours.' },
  KEYHAVEN_TRUST_PROXY: {
    kind: 'bool',
    fallback: false,
    description: "Trust `X-Forwarded-For` for the client IP (set behind a reverse proxy, or every client shares the proxy's rate limit).",
  },
  KEYHAVEN_BODY_LIMIT: { kind: 'int', min: 1024, max: 64 * 1024 * 1024, fallback: 1024 * 1024, description: 'Largest accepted request body in bytes (1 KiB–64 MiB).' },
  KEYHAVEN_WEBHOOK_ALLOW_PRIVATE: {
    kind: 'bool',
    fallback: false,
    description:
      'Let webhook endpoints be on loopback or private-network addresses (also in their IPv6 spellings); see [Webhooks and your network](automation.md#webhooks-and-your-network-ssrf). Link-local (cloud metadata) addresses, `fd00:ec2::254` and Teredo are always refused.',
  },
  KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS: { kind: 'int', min: 1, max: 120, fallback: 10, description: 'Time limit of one webhook request, connect to last byte, in seconds.' },
  KEYHAVEN_ARTIFACT_MAX_MB: { kind: 'int', min: 1, max: 1024 * 1024, fallback: 2048, description: 'Largest release artifact an upload accepts, in MiB.' },
  KEYHAVEN_STORAGE: {
    kind: 'text',
    values: '`local` or `s3`',
    default: '`local`',
    description:
      'Where artifact files live: `local` (`$KEYHAVEN_DATA_DIR/artifacts`) or an S3 bucket; see [Artifacts and entitled downloads](releases.md#artifacts-and-entitled-downloads).',
  },
  KEYHAVEN_S3_BUCKET: { kind: 'text', values: 'a bucket name', default: 'unset', description: 'The bucket; required with `KEYHAVEN_STORAGE=s3`.' },
  KEYHAVEN_S3_REGION: { kind: 'text', values: 'a region', default: '`us-east-1`', description: "The bucket's region." },
  KEYHAVEN_S3_ENDPOINT: {
    kind: 'text',
    values: 'http(s) URL',
    default: 'unset: AWS',
    description: 'URL of an S3-compatible service, e.g. `http://minio:9000` or `https://<account>.r2.cloudflarestorage.com`.',
  },
  KEYHAVEN_S3_FORCE_PATH_STYLE: {
    kind: 'bool',
    fallback: false,
    description: 'Address the bucket in the path (`host/bucket/key`) instead of the host name; most self-hosted services need `true`.',
  },
  KEYHAVEN_S3_PREFIX: {
    kind: 'text',
    values: "letters, digits, `!_.*'()-`, single slashes",
    default: 'unset',
    description: 'A folder inside the bucket for the objects.',
  },
  KEYHAVEN_S3_ACCESS_KEY_ID: {
    kind: 'text',
    values: 'an access key id',
    default: 'unset: AWS SDK chain',
    description: 'Credentials for the bucket, with `KEYHAVEN_S3_SECRET_ACCESS_KEY` (both or neither). Unset: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `~/.aws`, or an instance or task role.',
  },
  KEYHAVEN_S3_SECRET_ACCESS_KEY: {
    kind: 'text',
    values: 'a secret access key',
    default: 'unset: AWS SDK chain',
    description: 'The secret that goes with `KEYHAVEN_S3_ACCESS_KEY_ID`.',
  },
  KEYHAVEN_REMINDER_DAYS: {
    kind: 'text',
    values: 'comma-separated whole days, 1–3650',
    default: '`30,15,5,3,1`',
    description:
      'Days before expiry at which customers are reminded; see [Reminders, alerts and notices](licensing.md#reminders-alerts-and-notices). A default staff can override at run time (Settings page, `updateSettings`), like the next three.',
  },
  KEYHAVEN_REMIND_AUTO_RENEWING: {
    kind: 'bool',
    fallback: false,
    description: 'Remind auto-renewing subscriptions too (their mail says they renew by themselves).',
  },
  KEYHAVEN_ALERT_EMAILS: {
    kind: 'text',
    values: 'comma-separated e-mail addresses',
    default: 'unset',
    description: 'Staff alert recipients. Unset: alerts are recorded but not mailed.',
  },
  KEYHAVEN_ALERT_EXPIRY_DAYS: { kind: 'int', min: 1, max: 365, fallback: 7, description: 'Staff hear about trials and licenses expiring within this many days.' },
  KEYHAVEN_TRIAL_RATE_LIMIT: { kind: 'int', min: 1, max: 100_000, fallback: 5, description: 'Public trial sign-ups (`POST /v1/trials`) per hour per client IP.' },
  SMTP_URL: {
    kind: 'text',
    values: '`smtp://user:pass@host:587` or `smtps://user:pass@host:465`',
    default: 'unset',
    description:
      'The SMTP server for outgoing mail (nodemailer options as query parameters). Unset: mail is kept in the outbox as `held`; see [E-mail](automation.md#e-mail).',
  },
  MAIL_FROM: {
    kind: 'text',
    values: 'an address, optionally with a name',
    default: '`Keyhaven <no-reply@localhost>`',
    description: 'The sender of every mail; its domain also ends every `Message-ID`.',
  },
  KEYHAVEN_PASSWORD_RESET_RATE_LIMIT: { kind: 'int', min: 1, max: 100_000, fallback: 5, description: 'Password-reset requests per minute per client IP.' },
  STRIPE_WEBHOOK_SECRET: {
    kind: 'text',
    values: '`whsec_…`, at least 16 characters',
    default: 'unset',
    description:
      'The signing secret of the Stripe webhook endpoint; see [Orders and Stripe](automation.md#orders-and-stripe). Unset: the endpoint answers 503.',
  },
  KEYHAVEN_COUNTRY_HEADER: {
    kind: 'text',
    values: 'a header name',
    default: 'unset',
    description:
      "A header your reverse proxy or CDN sets to the client's ISO country code (e.g. `cf-ipcountry`); licenses with `countries` are checked against it. Only set it when a trusted proxy always overwrites that header.",
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
type NameOf<K extends Setting['kind']> = { [N in SettingName]: (typeof SETTINGS)[N]['kind'] extends K ? N : never }[SettingName];

/**
 * The whole runtime configuration. This module is the only reader of `process.env`; everything else
 * receives a frozen `Config`, so a test can build one by hand and nothing reads the environment behind
 * its back.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Public base URL used in links and printed at start, without a trailing slash. */
  readonly publicUrl: string;
  readonly database:
    | {
        readonly dialect: 'sqlite';
        readonly file: string;
        /** `KEYHAVEN_SQLITE_DRIVER`; unset means the runtime's default (node:sqlite where it can run). */
        readonly driver?: SqliteDriver;
      }
    | { readonly dialect: 'postgres'; readonly url: string };
  readonly dataDir: string;
  /** `KEYHAVEN_DATA_DIR` was set; otherwise `dataDir` is `./data` of the working directory (the CLI warns then). */
  readonly dataDirFromEnv: boolean;
  /** An owner credential for automation; absent when `KEYHAVEN_ADMIN_TOKEN` is unset. */
  readonly adminToken: string | undefined;
  /**
   * Where the 32-byte master key comes from: `KEYHAVEN_MASTER_KEY` (base64) or a key file that is
   * created on first start with mode 0600.
   */
  readonly masterKey: { readonly source: 'env'; readonly value: Buffer } | { readonly source: 'file'; readonly file: string };
  readonly logLevel: LogLevel;
  /** Requests per minute per client IP for the client operations (validate, activate, ...). */
  readonly clientRateLimit: number;
  /** Sign-in attempts per minute per client IP. */
  readonly signInRateLimit: number;
  /** Lifetime of a staff or customer session. */
  readonly sessionTtlHours: number;
  /** Whether to trust `X-Forwarded-For` (set when running behind a reverse proxy). */
  readonly trustProxy: boolean;
  /** Largest accepted request body in bytes. */
  readonly bodyLimit: number;
  /**
   * A header set by a trusted reverse proxy or CDN with the client's ISO country code (e.g.
   * `cf-ipcountry`); country rules on licenses use it. Unset: the client country is unknown.
   */
  readonly countryHeader: string | undefined;
  /**
   * SMTP server for outgoing mail (`SMTP_URL`, e.g. `smtp://user:pass@host:587` or `smtps://...:465`).
   * Unset: mail is rendered and kept in the outbox with status `held`, readable through the API, and
   * can be released once SMTP is configured.
   */
  readonly smtpUrl: string | undefined;
  /** The From of every mail (`MAIL_FROM`), default `Keyhaven <no-reply@localhost>`. */
  readonly mailFrom: string;
  /** Password-reset requests per minute per client IP. */
  readonly passwordResetRateLimit: number;
  /**
   * The signing secret of the Stripe webhook endpoint (`STRIPE_WEBHOOK_SECRET`, `whsec_…`, shown in the
   * Stripe dashboard). Unset: `POST /v1/integrations/stripe/webhook` answers 503 INTEGRATION_NOT_CONFIGURED.
   */
  readonly stripeWebhookSecret: string | undefined;
  /**
   * Whether webhook endpoints may point at loopback and private-network addresses
   * (`KEYHAVEN_WEBHOOK_ALLOW_PRIVATE`, default false: whoever may manage webhooks must not reach internal
   * services through them, SSRF). Turn it on to notify systems on the server's own network. Link-local
   * (cloud metadata), unspecified and multicast addresses are always refused (address-policy.ts).
   */
  readonly webhookAllowPrivate: boolean;
  /** Time limit of one webhook request, connect to last byte (`KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS`, default 10). */
  readonly webhookTimeoutMs: number;
  /** Largest release artifact accepted by an upload, in bytes (`KEYHAVEN_ARTIFACT_MAX_MB`, default 2048 = 2 GiB). */
  readonly artifactMaxBytes: number;
  /**
   * Where artifact files live (`KEYHAVEN_STORAGE`, default `local`): `local` is `<dataDir>/artifacts`;
   * `s3` is a bucket of AWS S3 or of an S3-compatible service (`KEYHAVEN_S3_*`). Without
   * `KEYHAVEN_S3_ACCESS_KEY_ID`/`KEYHAVEN_S3_SECRET_ACCESS_KEY` the AWS SDK's default credential chain
   * applies (AWS_* variables, shared files, instance or task role).
   */
  readonly storage: StorageConfig;
  /**
   * Days before expiry at which customers are reminded (`KEYHAVEN_REMINDER_DAYS`, default `30,15,5,3,1`):
   * one mail per license, term and offset.
   */
  readonly reminderDays: readonly number[];
  /** Whether auto-renewing subscriptions get expiry reminders too (`KEYHAVEN_REMIND_AUTO_RENEWING`, default false). */
  readonly remindAutoRenewing: boolean;
  /** Staff alert recipients (`KEYHAVEN_ALERT_EMAILS`, comma-separated); empty: no alert mail. */
  readonly alertEmails: readonly string[];
  /** Staff are alerted about trials and licenses this many days before they expire (`KEYHAVEN_ALERT_EXPIRY_DAYS`, default 7). */
  readonly alertExpiryDays: number;
  /** Public trial sign-ups per hour per client IP (`KEYHAVEN_TRIAL_RATE_LIMIT`, default 5). */
  readonly trialRateLimit: number;
}

export type StorageConfig =
  | { readonly driver: 'local' }
  | {
      readonly driver: 's3';
      readonly bucket: string;
      readonly region: string;
      readonly endpoint: string | undefined;
      /** Without slashes at either end; empty: the bucket's root. */
      readonly prefix: string;
      readonly forcePathStyle: boolean;
      readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
    };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration from an environment; throws `ConfigError` listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  /** The one way to the environment: only the names of SETTINGS type-check. */
  const read = (name: SettingName): string | undefined => env[name];

  const int = (name: NameOf<'int'>): number => {
    const { fallback, min, max } = SETTINGS[name];
    const raw = read(name);
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: NameOf<'bool'>): boolean => {
    const { fallback } = SETTINGS[name];
    const raw = read(name)?.toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${read(name)}")`);
    return fallback;
  };

  const port = int('PORT');
  const host = read('HOST') || '0.0.0.0';
  const dataDir = path.resolve(read('KEYHAVEN_DATA_DIR') || './data');

  let database: Config['database'];
  const url = read('DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      problems.push('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for the embedded SQLite database)');
    }
    database = { dialect: 'postgres', url };
  } else {
    const driver = read('KEYHAVEN_SQLITE_DRIVER') || undefined;
    if (driver !== undefined && !(SQLITE_DRIVERS as readonly string[]).includes(driver)) {
      problems.push(`KEYHAVEN_SQLITE_DRIVER must be ${SQLITE_DRIVERS.join(' or ')} (got "${driver}")`);
    } else if (driver !== undefined) {
      const problem = sqliteDriverProblem(driver as SqliteDriver);
      if (problem !== null) problems.push(`KEYHAVEN_SQLITE_DRIVER=${driver} cannot be used here: ${problem}`);
    }
    database = { dialect: 'sqlite', file: path.join(dataDir, 'keyhaven.sqlite'), ...(driver ? { driver: driver as SqliteDriver } : {}) };
  }

  let masterKey: Config['masterKey'];
  const rawMaster = read('KEYHAVEN_MASTER_KEY');
  if (rawMaster) {
    const value = Buffer.from(rawMaster, 'base64');
    if (value.length !== 32) problems.push('KEYHAVEN_MASTER_KEY must be 32 bytes encoded as base64 (openssl rand -base64 32)');
    masterKey = { source: 'env', value };
  } else {
    masterKey = { source: 'file', file: path.resolve(read('KEYHAVEN_MASTER_KEY_FILE') || path.join(dataDir, 'master.key')) };
  }

  const adminToken = read('KEYHAVEN_ADMIN_TOKEN') || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('KEYHAVEN_ADMIN_TOKEN must be at least 16 characters long');
  }

  const logLevel = (read('LOG_LEVEL') || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  let publicUrl = read('KEYHAVEN_PUBLIC_URL') || `http://localhost:${port}`;
  try {
    const parsed = new URL(publicUrl);
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error('protocol');
    publicUrl = publicUrl.replace(/\/+$/, '');
  } catch {
    problems.push(`KEYHAVEN_PUBLIC_URL must be an http(s) URL (got "${publicUrl}")`);
  }

  const smtpUrl = read('SMTP_URL') || undefined;
  if (smtpUrl !== undefined) {
    try {
      const parsed = new URL(smtpUrl);
      if (!['smtp:', 'smtps:'].includes(parsed.protocol) || !parsed.hostname) throw new Error('protocol');
    } catch {
      problems.push('SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465');
    }
  }
  const mailFrom = read('MAIL_FROM') || 'Keyhaven <no-reply@localhost>';
  if (!/^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(mailFrom.trim())) {
    problems.push(`MAIL_FROM must be an address, optionally with a name: "Acme Licensing <licenses@acme.test>" (got "${mailFrom}")`);
  }

  const dayList = (name: NameOf<'text'>, fallback: number[]): number[] => {
    const raw = read(name);
    if (raw === undefined || raw.trim() === '') return fallback;
    const days = raw.split(',').map((part) => Number(part.trim()));
    if (days.some((n) => !Number.isInteger(n) || n < 1 || n > 3650)) {
      problems.push(`${name} must be a comma-separated list of whole days from 1 to 3650 (got "${raw}")`);
      return fallback;
    }
    return [...new Set(days)].sort((a, b) => b - a);
  };
  const alertEmails = (read('KEYHAVEN_ALERT_EMAILS') ?? '')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  const badAlert = alertEmails.find((a) => !/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/.test(a));
  if (badAlert) problems.push(`KEYHAVEN_ALERT_EMAILS must be comma-separated e-mail addresses (got "${badAlert}")`);

  const stripeWebhookSecret = read('STRIPE_WEBHOOK_SECRET') || undefined;
  if (stripeWebhookSecret !== undefined && (stripeWebhookSecret.length < 16 || /\s/.test(stripeWebhookSecret))) {
    problems.push('STRIPE_WEBHOOK_SECRET must be the endpoint\'s signing secret from the Stripe dashboard (whsec_…, no spaces)');
  }

  let storage: StorageConfig = { driver: 'local' };
  const driver = read('KEYHAVEN_STORAGE') || 'local';
  if (driver === 's3') {
    const bucket = read('KEYHAVEN_S3_BUCKET') || '';
    if (!bucket) problems.push('KEYHAVEN_S3_BUCKET is required with KEYHAVEN_STORAGE=s3');
    const endpoint = read('KEYHAVEN_S3_ENDPOINT') || undefined;
    if (endpoint !== undefined) {
      try {
        if (!['http:', 'https:'].includes(new URL(endpoint).protocol)) throw new Error('protocol');
      } catch {
        problems.push(`KEYHAVEN_S3_ENDPOINT must be an http(s) URL such as https://s3.example.com or http://127.0.0.1:9000 (got "${endpoint}")`);
      }
    }
    const prefix = (read('KEYHAVEN_S3_PREFIX') ?? '').replace(/^\/+|\/+$/g, '');
    const prefixOk = prefix === '' || (/^[A-Za-z0-9!_.*'()/-]+$/.test(prefix) && prefix.split('/').every((part) => !['', '.', '..'].includes(part)));
    if (!prefixOk) {
      problems.push(`KEYHAVEN_S3_PREFIX must be a folder of letters, digits and ! _ . * ' ( ) - separated by single slashes (got "${read('KEYHAVEN_S3_PREFIX')}")`);
    }
    const accessKeyId = read('KEYHAVEN_S3_ACCESS_KEY_ID') || undefined;
    const secretAccessKey = read('KEYHAVEN_S3_SECRET_ACCESS_KEY') || undefined;
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      problems.push('KEYHAVEN_S3_ACCESS_KEY_ID and KEYHAVEN_S3_SECRET_ACCESS_KEY go together (set both, or neither for the AWS default credential chain)');
    }
    storage = Object.freeze({
      driver: 's3',
      bucket,
      region: read('KEYHAVEN_S3_REGION') || 'us-east-1',
      endpoint,
      prefix,
      forcePathStyle: bool('KEYHAVEN_S3_FORCE_PATH_STYLE'),
      credentials: accessKeyId && secretAccessKey ? Object.freeze({ accessKeyId, secretAccessKey }) : undefined,
    });
  } else if (driver !== 'local') {
    problems.push(`KEYHAVEN_STORAGE must be local or s3 (got "${driver}")`);
  }

  const config: Config = {
    port,
    host,
    publicUrl,
    database,
    dataDir,
    dataDirFromEnv: Boolean(read('KEYHAVEN_DATA_DIR')),
    adminToken,
    masterKey,
    logLevel,
    clientRateLimit: int('KEYHAVEN_CLIENT_RATE_LIMIT'),
    signInRateLimit: int('KEYHAVEN_SIGNIN_RATE_LIMIT'),
    sessionTtlHours: int('KEYHAVEN_SESSION_TTL_HOURS'),
    trustProxy: bool('KEYHAVEN_TRUST_PROXY'),
    bodyLimit: int('KEYHAVEN_BODY_LIMIT'),
    countryHeader: read('KEYHAVEN_COUNTRY_HEADER')?.toLowerCase() || undefined,
    smtpUrl,
    mailFrom: mailFrom.trim(),
    passwordResetRateLimit: int('KEYHAVEN_PASSWORD_RESET_RATE_LIMIT'),
    stripeWebhookSecret,
    webhookAllowPrivate: bool('KEYHAVEN_WEBHOOK_ALLOW_PRIVATE'),
    webhookTimeoutMs: int('KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS') * 1000,
    artifactMaxBytes: int('KEYHAVEN_ARTIFACT_MAX_MB') * 1024 * 1024,
    storage,
    reminderDays: Object.freeze(dayList('KEYHAVEN_REMINDER_DAYS', [30, 15, 5, 3, 1])),
    remindAutoRenewing: bool('KEYHAVEN_REMIND_AUTO_RENEWING'),
    alertEmails: Object.freeze([...new Set(alertEmails)]),
    alertExpiryDays: int('KEYHAVEN_ALERT_EXPIRY_DAYS'),
    trialRateLimit: int('KEYHAVEN_TRIAL_RATE_LIMIT'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** A problem that stops the process from starting, explained for the operator (printed without a stack). */
export class StartupError extends Error {
  override name = 'StartupError';
}
