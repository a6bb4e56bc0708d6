import path from 'node:path';
import { SQLITE_DRIVERS, sqliteDriverProblem, type SqliteDriver } from './db/sqlite.js';

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${env[name]}")`);
    return fallback;
  };

  const port = int('PORT', 8080, 0, 65535);
  const host = env.HOST || '0.0.0.0';
  const dataDir = path.resolve(env.KEYHAVEN_DATA_DIR || './data');

  let database: Config['database'];
  const url = env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      problems.push('DATABASE_URL must start with postgres:// or postgresql:// (leave it unset for the embedded SQLite database)');
    }
    database = { dialect: 'postgres', url };
  } else {
    const driver = env.KEYHAVEN_SQLITE_DRIVER || undefined;
    if (driver !== undefined && !(SQLITE_DRIVERS as readonly string[]).includes(driver)) {
      problems.push(`KEYHAVEN_SQLITE_DRIVER must be ${SQLITE_DRIVERS.join(' or ')} (got "${driver}")`);
    } else if (driver !== undefined) {
      const problem = sqliteDriverProblem(driver as SqliteDriver);
      if (problem !== null) problems.push(`KEYHAVEN_SQLITE_DRIVER=${driver} cannot be used here: ${problem}`);
    }
    database = { dialect: 'sqlite', file: path.join(dataDir, 'keyhaven.sqlite'), ...(driver ? { driver: driver as SqliteDriver } : {}) };
  }

  let masterKey: Config['masterKey'];
  const rawMaster = env.KEYHAVEN_MASTER_KEY;
  if (rawMaster) {
    const value = Buffer.from(rawMaster, 'base64');
    if (value.length !== 32) problems.push('KEYHAVEN_MASTER_KEY must be 32 bytes encoded as base64 (openssl rand -base64 32)');
    masterKey = { source: 'env', value };
  } else {
    masterKey = { source: 'file', file: path.resolve(env.KEYHAVEN_MASTER_KEY_FILE || path.join(dataDir, 'master.key')) };
  }

  const adminToken = env.KEYHAVEN_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('KEYHAVEN_ADMIN_TOKEN must be at least 16 characters long');
  }

  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  let publicUrl = env.KEYHAVEN_PUBLIC_URL || `http://localhost:${port}`;
  try {
    const parsed = new URL(publicUrl);
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error('protocol');
    publicUrl = publicUrl.replace(/\/+$/, '');
  } catch {
    problems.push(`KEYHAVEN_PUBLIC_URL must be an http(s) URL (got "${publicUrl}")`);
  }

  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl !== undefined) {
    try {
      const parsed = new URL(smtpUrl);
      if (!['smtp:', 'smtps:'].includes(parsed.protocol) || !parsed.hostname) throw new Error('protocol');
    } catch {
      problems.push('SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465');
    }
  }
  const mailFrom = env.MAIL_FROM || 'Keyhaven <no-reply@localhost>';
  if (!/^(?:[^<>\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(mailFrom.trim())) {
    problems.push(`MAIL_FROM must be an address, optionally with a name: "Acme Licensing <licenses@acme.test>" (got "${mailFrom}")`);
  }

  const dayList = (name: string, fallback: number[]): number[] => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const days = raw.split(',').map((part) => Number(part.trim()));
    if (days.some((n) => !Number.isInteger(n) || n < 1 || n > 3650)) {
      problems.push(`${name} must be a comma-separated list of whole days from 1 to 3650 (got "${raw}")`);
      return fallback;
    }
    return [...new Set(days)].sort((a, b) => b - a);
  };
  const alertEmails = (env.KEYHAVEN_ALERT_EMAILS ?? '')
    .split(',')
    .map((a) => a.trim().toLowerCase())
    .filter(Boolean);
  const badAlert = alertEmails.find((a) => !/^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/.test(a));
  if (badAlert) problems.push(`KEYHAVEN_ALERT_EMAILS must be comma-separated e-mail addresses (got "${badAlert}")`);

  const stripeWebhookSecret = env.STRIPE_WEBHOOK_SECRET || undefined;
  if (stripeWebhookSecret !== undefined && (stripeWebhookSecret.length < 16 || /\s/.test(stripeWebhookSecret))) {
    problems.push('STRIPE_WEBHOOK_SECRET must be the endpoint\'s signing secret from the Stripe dashboard (whsec_…, no spaces)');
  }

  let storage: StorageConfig = { driver: 'local' };
  const driver = env.KEYHAVEN_STORAGE || 'local';
  if (driver === 's3') {
    const bucket = env.KEYHAVEN_S3_BUCKET || '';
    if (!bucket) problems.push('KEYHAVEN_S3_BUCKET is required with KEYHAVEN_STORAGE=s3');
    const endpoint = env.KEYHAVEN_S3_ENDPOINT || undefined;
    if (endpoint !== undefined) {
      try {
        if (!['http:', 'https:'].includes(new URL(endpoint).protocol)) throw new Error('protocol');
      } catch {
        problems.push(`KEYHAVEN_S3_ENDPOINT must be an http(s) URL such as https://s3.example.com or http://127.0.0.1:9000 (got "${endpoint}")`);
      }
    }
    const prefix = (env.KEYHAVEN_S3_PREFIX ?? '').replace(/^\/+|\/+$/g, '');
    const prefixOk = prefix === '' || (/^[A-Za-z0-9!_.*'()/-]+$/.test(prefix) && prefix.split('/').every((part) => !['', '.', '..'].includes(part)));
    if (!prefixOk) {
      problems.push(`KEYHAVEN_S3_PREFIX must be a folder of letters, digits and ! _ . * ' ( ) - separated by single slashes (got "${env.KEYHAVEN_S3_PREFIX}")`);
    }
    const accessKeyId = env.KEYHAVEN_S3_ACCESS_KEY_ID || undefined;
    const secretAccessKey = env.KEYHAVEN_S3_SECRET_ACCESS_KEY || undefined;
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      problems.push('KEYHAVEN_S3_ACCESS_KEY_ID and KEYHAVEN_S3_SECRET_ACCESS_KEY go together (set both, or neither for the AWS default credential chain)');
    }
    storage = Object.freeze({
      driver: 's3',
      bucket,
      region: env.KEYHAVEN_S3_REGION || 'us-east-1',
      endpoint,
      prefix,
      forcePathStyle: bool('KEYHAVEN_S3_FORCE_PATH_STYLE', false),
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
    dataDirFromEnv: Boolean(env.KEYHAVEN_DATA_DIR),
    adminToken,
    masterKey,
    logLevel,
    clientRateLimit: int('KEYHAVEN_CLIENT_RATE_LIMIT', 1200, 1, 100_000_000),
    signInRateLimit: int('KEYHAVEN_SIGNIN_RATE_LIMIT', 10, 1, 100_000),
    sessionTtlHours: int('KEYHAVEN_SESSION_TTL_HOURS', 12, 1, 24 * 90),
    trustProxy: bool('KEYHAVEN_TRUST_PROXY', false),
    bodyLimit: int('KEYHAVEN_BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    countryHeader: env.KEYHAVEN_COUNTRY_HEADER ? env.KEYHAVEN_COUNTRY_HEADER.toLowerCase() : undefined,
    smtpUrl,
    mailFrom: mailFrom.trim(),
    passwordResetRateLimit: int('KEYHAVEN_PASSWORD_RESET_RATE_LIMIT', 5, 1, 100_000),
    stripeWebhookSecret,
    webhookAllowPrivate: bool('KEYHAVEN_WEBHOOK_ALLOW_PRIVATE', false),
    webhookTimeoutMs: int('KEYHAVEN_WEBHOOK_TIMEOUT_SECONDS', 10, 1, 120) * 1000,
    artifactMaxBytes: int('KEYHAVEN_ARTIFACT_MAX_MB', 2048, 1, 1024 * 1024) * 1024 * 1024,
    storage,
    reminderDays: Object.freeze(dayList('KEYHAVEN_REMINDER_DAYS', [30, 15, 5, 3, 1])),
    remindAutoRenewing: bool('KEYHAVEN_REMIND_AUTO_RENEWING', false),
    alertEmails: Object.freeze([...new Set(alertEmails)]),
    alertExpiryDays: int('KEYHAVEN_ALERT_EXPIRY_DAYS', 7, 1, 365),
    trialRateLimit: int('KEYHAVEN_TRIAL_RATE_LIMIT', 5, 1, 100_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** A problem that stops the process from starting, explained for the operator (printed without a stack). */
export class StartupError extends Error {
  override name = 'StartupError';
}
