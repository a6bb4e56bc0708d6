import { randomBytes, type KeyObject } from 'node:crypto';
import { loadPublicKey, parseSignatureHeader, signingString, verifyEd25519, type PublicKeyInput } from './crypto.js';
import { KeyhavenError, KeyhavenSdkError, LicenseFileError, NetworkError, ReplayError, SignatureError } from './errors.js';
import { readLicenseFile, type LicenseFilePayload } from './license-file.js';
import { downloadUpdate } from './update-download.js';
import {
  bindingNonce,
  forgetValidation,
  loadValidation,
  storeValidation,
  type CachedValidationResult,
  type ValidationCacheOptions,
} from './validation-cache.js';
import type {
  ActivateInput,
  ActivateResult,
  CheckoutInput,
  DownloadableArtifact,
  DownloadedUpdate,
  DownloadUpdateOptions,
  HeartbeatResult,
  MachineKeyInput,
  PublicKeyResult,
  RecordUsageInput,
  UpdateArtifact,
  UpdateCheckInput,
  UpdateCheckResult,
  UsageResult,
  ValidateInput,
  ValidationResult,
} from './types.js';

export type FetchLike = (input: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

export interface KeyhavenClientOptions {
  /** The server, e.g. `https://licenses.example.com`. */
  baseUrl: string;
  /** The server's Ed25519 public key, embedded in the application: base64 of the raw 32 bytes, or a PEM. */
  publicKey: PublicKeyInput;
  /** Defaults to the global fetch. Tests and proxies can pass their own. */
  fetch?: FetchLike;
  /** Source of local time (default: the system clock). */
  clock?: () => Date;
  /** Answers whose Date is further than this from local time are refused as replays. Default 5 minutes. */
  maxClockSkewMs?: number;
  /** Per request timeout. Default 15 s. */
  timeoutMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

export interface CheckoutResult {
  /** The armoured license file, to save as is (e.g. `license.lic`) and check later with verifyLicenseFile. */
  file: string;
  /** What the file asserts (already decrypted when it is encrypted). */
  payload: LicenseFilePayload;
}

interface SignedAnswer {
  status: number;
  /** The path the signature covers. */
  path: string;
  headers: Headers;
  body: Buffer;
}

const DEFAULT_SKEW_MS = 5 * 60_000;

/**
 * The Keyhaven client operations, each answer checked against the embedded public key before it is read:
 * the Ed25519 signature over Date, method, path and body digest, the Date against local time, and the
 * nonce sent against the nonce echoed.
 */
export class KeyhavenClient {
  private readonly baseUrl: URL;
  private readonly key: KeyObject;
  /** The key id of the embedded public key. */
  readonly keyId: string;
  private readonly fetchImpl: FetchLike;
  private readonly clock: () => Date;
  private readonly maxSkewMs: number;
  private readonly timeoutMs: number;
  private readonly userAgent: string | undefined;
  private readonly publicKeyInput: PublicKeyInput;

  constructor(options: KeyhavenClientOptions) {
    if (!options || typeof options.baseUrl !== 'string') throw new TypeError('KeyhavenClient: baseUrl is required');
    this.baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : options.baseUrl + '/');
    const loaded = loadPublicKey(options.publicKey);
    this.key = loaded.key;
    this.keyId = loaded.keyId;
    this.publicKeyInput = options.publicKey;
    const globalFetch = globalThis.fetch as FetchLike | undefined;
    const fetchImpl = options.fetch ?? globalFetch;
    if (!fetchImpl) throw new TypeError('KeyhavenClient: no fetch available; pass options.fetch');
    this.fetchImpl = fetchImpl;
    this.clock = options.clock ?? (() => new Date());
    this.maxSkewMs = options.maxClockSkewMs ?? DEFAULT_SKEW_MS;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.userAgent = options.userAgent;
  }

  /** validateLicense: validation outcomes are data (`valid`, `code`), not errors. */
  async validate(input: ValidateInput): Promise<ValidationResult> {
    return this.json<ValidationResult>('POST', 'v1/licenses/validate', { ...input }, true);
  }

  /**
   * validateLicense with an offline grace period: a good answer is kept on disk (signed, bound to this key
   * and machine); while the server cannot be reached (NetworkError), the kept answer stands in for it until
   * `offlineGraceMs` after it was given, unless the clock was set back or the license ended meanwhile.
   * An invalid answer from the server forgets the kept one. Throws OfflineGraceError (a NetworkError) when
   * offline with nothing usable; a SignatureError (tampered, replayed) is never covered by the cache.
   */
  async validateWithOfflineGrace(input: ValidateInput, cache: ValidationCacheOptions): Promise<CachedValidationResult> {
    const nonce = bindingNonce(input.key, input.fingerprint ?? '');
    const path = 'v1/licenses/validate';
    let answer: SignedAnswer;
    try {
      answer = await this.request('POST', path, { ...input, nonce });
    } catch (error) {
      if (error instanceof NetworkError) return loadValidation(cache, this.key, input, this.clock(), error);
      throw error;
    }
    const result = parseJson(answer.body) as ValidationResult;
    if (result === null || typeof result !== 'object') throw new SignatureError('MALFORMED', 'The answer is not a JSON object');
    if (result.nonce !== nonce) throw new ReplayError('NONCE_MISMATCH', 'The answer does not echo the nonce sent: a replayed answer');
    const date = answer.headers.get('date')!;
    const now = this.clock();
    const validatedAt = Math.min(Date.parse(date), now.getTime());
    if (result.valid) {
      storeValidation(cache, { method: 'POST', path: answer.path, date, signature: answer.headers.get('keyhaven-signature')!, body: answer.body }, now);
    } else {
      forgetValidation(cache);
    }
    return {
      ...result,
      source: 'online',
      validatedAt: new Date(validatedAt).toISOString(),
      offlineUntil: new Date(validatedAt + (result.valid ? cache.offlineGraceMs : 0)).toISOString(),
    };
  }

  /** activateMachine: takes a seat; KeyhavenError `TOO_MANY_MACHINES` (422) when every seat is taken. */
  async activate(input: ActivateInput): Promise<ActivateResult> {
    const { status, value } = await this.jsonWithStatus<Omit<ActivateResult, 'created'>>('POST', 'v1/machines/activate', { ...input }, true);
    return { ...value, created: status === 201 };
  }

  /** deactivateMachine: frees the seat. */
  async deactivate(input: MachineKeyInput): Promise<void> {
    // The server does not echo a nonce in a 204; the signature and Date still protect the answer.
    await this.request('POST', 'v1/machines/deactivate', { key: input.key, fingerprint: input.fingerprint });
  }

  /** heartbeatMachine: renews a floating lease; KeyhavenError `HEARTBEAT_DEAD` once it lapsed. */
  async heartbeat(input: MachineKeyInput): Promise<HeartbeatResult> {
    return this.json<HeartbeatResult>('POST', 'v1/machines/heartbeat', { key: input.key, fingerprint: input.fingerprint }, true);
  }

  /**
   * checkoutLicenseFile: a signed license file for offline use. The nonce travels inside the file, so it is
   * checked after the file's own signature (and decryption, for an encrypted file).
   */
  async checkoutLicenseFile(input: CheckoutInput): Promise<CheckoutResult> {
    const encrypt = input.encrypt ?? input.fingerprint !== undefined;
    const nonce = newNonce();
    const answer = await this.request('POST', 'v1/licenses/checkout', { ...input, encrypt, nonce });
    const file = answer.body.toString('utf8');
    let payload: LicenseFilePayload;
    try {
      payload = readLicenseFile(file, {
        publicKey: this.publicKeyInput,
        ...(input.fingerprint !== undefined ? { fingerprint: input.fingerprint } : {}),
        licenseKey: input.key,
      });
    } catch (error) {
      if (error instanceof LicenseFileError) throw new SignatureError('INVALID', `The license file in the answer is not valid: ${error.message}`);
      throw error;
    }
    if (payload.nonce !== nonce) throw new ReplayError('NONCE_MISMATCH', 'The license file does not carry the nonce sent: a replayed answer');
    return { file, payload };
  }

  /**
   * checkinLicenseFile: returns this machine's offline license files early, so its seat is no longer
   * borrowed (then `deactivate` may free it). Delete the saved files first: the server cannot call them back.
   */
  async checkinLicenseFile(input: MachineKeyInput): Promise<HeartbeatResult> {
    return this.json<HeartbeatResult>('POST', 'v1/licenses/checkin', { key: input.key, fingerprint: input.fingerprint }, true);
  }

  /** recordUsage: spends credits of a metered feature; KeyhavenError `USAGE_EXHAUSTED` (422) when not enough are left. */
  async recordUsage(input: RecordUsageInput): Promise<UsageResult> {
    return this.json<UsageResult>('POST', 'v1/usage', { ...input }, true);
  }

  /**
   * checkForUpdate: the newest release the license is entitled to above `version` (signed answer, nonce
   * checked like validate). `release.artifacts` is always an array: servers that do not list artifacts
   * with the update check give none.
   */
  async checkForUpdate(input: UpdateCheckInput): Promise<UpdateCheckResult> {
    const answer = await this.json<UpdateCheckResult>('POST', 'v1/updates/check', { ...input }, true);
    if (answer.release === undefined || answer.release === null) return answer;
    const artifacts = Array.isArray(answer.release.artifacts) ? answer.release.artifacts : [];
    return { ...answer, release: { ...answer.release, artifacts } };
  }

  /**
   * Downloads an update (an artifact of checkForUpdate, or `{url, size, sha256, signature, keyId, fileName}`
   * from a download link) to `destination`, verified: the keyId must be the embedded key's and the signature
   * of the SHA-256 must verify before anything is fetched; the bytes stream to `destination.part` while
   * hashed, and size, SHA-256 and the server's X-Checksum-Sha256 must match before the rename. A refusal
   * is an UpdateVerificationError and leaves no file; HTTP errors are KeyhavenError (4xx) or NetworkError.
   * `timeoutMs` bounds the wait for the answer and each stall between chunks, not the whole transfer.
   */
  async downloadUpdate(artifact: DownloadableArtifact | UpdateArtifact, options: DownloadUpdateOptions): Promise<DownloadedUpdate> {
    return downloadUpdate(
      { fetch: this.fetchImpl, baseUrl: this.baseUrl, key: this.key, keyId: this.keyId, stallMs: this.timeoutMs, userAgent: this.userAgent },
      artifact,
      options,
    );
  }

  /** getPublicKey: the server's current key (the answer is itself verified against the embedded key). */
  async getPublicKey(): Promise<PublicKeyResult> {
    return this.json<PublicKeyResult>('GET', 'v1/public-key', undefined, false);
  }

  private async json<T>(method: string, path: string, body: Record<string, unknown> | undefined, withNonce: boolean): Promise<T> {
    return (await this.jsonWithStatus<T>(method, path, body, withNonce)).value;
  }

  private async jsonWithStatus<T>(method: string, path: string, body: Record<string, unknown> | undefined, withNonce: boolean): Promise<{ status: number; value: T }> {
    const nonce = withNonce ? newNonce() : undefined;
    const answer = await this.request(method, path, body === undefined ? undefined : { ...body, ...(nonce !== undefined ? { nonce } : {}) });
    const value = parseJson(answer.body) as T & { nonce?: unknown };
    if (value === null || typeof value !== 'object') throw new SignatureError('MALFORMED', 'The answer is not a JSON object');
    if (nonce !== undefined && value.nonce !== nonce) {
      throw new ReplayError('NONCE_MISMATCH', 'The answer does not echo the nonce sent: a replayed answer');
    }
    return { status: answer.status, value };
  }

  /** Sends, verifies the answer's signature and Date, and turns an error answer into KeyhavenError. */
  private async request(method: string, path: string, body: Record<string, unknown> | undefined): Promise<SignedAnswer> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { accept: 'application/json, text/plain' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.userAgent) headers['user-agent'] = this.userAgent;
    let response: Response;
    let raw: Buffer;
    try {
      response = await this.fetchImpl(url.toString(), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(stripUndefined(body)) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      raw = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      if (error instanceof KeyhavenSdkError) throw error;
      throw new NetworkError(`Cannot reach the license server at ${url.origin}: ${(error as Error)?.message ?? String(error)}`, undefined, { cause: error });
    }
    const answer: SignedAnswer = { status: response.status, path: url.pathname, headers: response.headers, body: raw };
    this.verify(method, url.pathname, answer);
    if (answer.status >= 400) throw toKeyhavenError(answer);
    return answer;
  }

  private verify(method: string, path: string, answer: SignedAnswer): void {
    const header = answer.headers.get('keyhaven-signature');
    const date = answer.headers.get('date');
    if (!header || !date) {
      // An unsigned server error is what a proxy or load balancer says when the server is down.
      if (answer.status >= 500) throw new NetworkError(`The license server is unavailable (HTTP ${answer.status})`, answer.status);
      throw new SignatureError('MISSING', 'The answer is not signed (no Keyhaven-Signature or Date header)');
    }
    const parsed = parseSignatureHeader(header);
    if (!parsed || parsed.algorithm.toLowerCase() !== 'ed25519') throw new SignatureError('MALFORMED', 'The Keyhaven-Signature header is malformed or not ed25519');
    if (!verifyEd25519(this.key, signingString(date, method, path, answer.body), parsed.signature)) {
      const hint = parsed.keyId !== this.keyId ? ` (signed with key ${parsed.keyId}, the embedded key is ${this.keyId})` : '';
      throw new SignatureError('INVALID', `The answer's signature does not verify${hint}`);
    }
    const at = Date.parse(date);
    if (Number.isNaN(at)) throw new SignatureError('MALFORMED', 'The Date header is not a date');
    const skew = Math.abs(this.clock().getTime() - at);
    if (skew > this.maxSkewMs) {
      throw new ReplayError('STALE', `The answer's Date (${date}) is ${Math.round(skew / 1000)} s away from local time: a replayed answer or a wrong clock`);
    }
  }
}

function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

function stripUndefined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new SignatureError('MALFORMED', 'The answer is not JSON');
  }
}

function toKeyhavenError(answer: SignedAnswer): KeyhavenError {
  let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    parsed = JSON.parse(answer.body.toString('utf8')) as typeof parsed;
  } catch {
    parsed = undefined;
  }
  const error = parsed?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.status}`;
  const message = typeof error?.message === 'string' ? error.message : `The server answered HTTP ${answer.status}`;
  const details = error?.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : undefined;
  const retry = answer.headers.get('retry-after');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined;
  return new KeyhavenError(code, message, answer.status, details, retryAfter);
}
