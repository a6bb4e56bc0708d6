import { randomBytes, type KeyObject } from 'node:crypto';
import { loadPublicKey, parseSignatureHeader, signingString, verifyEd25519, type PublicKeyInput } from './crypto.js';
import { KeyhavenError, KeyhavenSdkError, LicenseFileError, NetworkError, ReplayError, SignatureError } from './errors.js';
import { readLicenseFile, type LicenseFilePayload } from './license-file.js';
import { downloadUpdate } from './update-download.js';
import {
  forgetValidation,
  loadValidation,
  storeValidation,
  type CachedValidationResult,
  type ValidationCacheOptions,
} from './validation-cache.js';
import { scopeMismatch } from './validation-scope.js';
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
  method: string;
  status: number;
  /** The path the signature covers. */
  path: string;
  /** The fresh nonce sent with the request, which the signature covers. */
  nonce: string;
  headers: Headers;
  body: Buffer;
}

const DEFAULT_SKEW_MS = 5 * 60_000;

/**
 * The Keyhaven client operations, each answer checked against the embedded public key before it is read:
 * every request carries a fresh random nonce (header and body); the Ed25519 signature must verify over the
 * Date, method, path, the status received, that nonce and the body digest; the Date must be near local
 * time, the echoed nonce the one sent, the status one the operation answers with, and a validation's
 * scope the request's own.
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
    return validationResult(await this.request('POST', 'v1/licenses/validate', { ...input }, [200]), input);
  }

  /**
   * validateLicense with an offline grace period: a good answer is kept on disk exactly as signed; while
   * the server cannot be reached (NetworkError), the kept answer stands in for it until `offlineGraceMs`
   * after the server's signed Date, and only for the same request: the same key (the answer's signed
   * `keyDigest`) and the same fingerprint, product, features and domain (its signed `scope`), so a cache
   * copied from another machine, or made from a narrower request, is refused. Also refused when the clock
   * was set back or the license ended meanwhile. An invalid answer from the server forgets the kept one.
   * Throws OfflineGraceError (a NetworkError) when offline with nothing usable; a SignatureError
   * (tampered, replayed, another request's answer) is never covered by the cache.
   */
  async validateWithOfflineGrace(input: ValidateInput, cache: ValidationCacheOptions): Promise<CachedValidationResult> {
    let answer: SignedAnswer;
    try {
      answer = await this.request('POST', 'v1/licenses/validate', { ...input }, [200]);
    } catch (error) {
      if (error instanceof NetworkError) return loadValidation(cache, this.key, input, this.clock(), error);
      throw error;
    }
    const result = validationResult(answer, input);
    const date = answer.headers.get('date')!;
    const now = this.clock();
    const validatedAt = Math.min(Date.parse(date), Date.parse(result.ts) || Number.POSITIVE_INFINITY, now.getTime());
    if (result.valid) {
      storeValidation(
        cache,
        { method: answer.method, path: answer.path, status: answer.status, nonce: answer.nonce, date, signature: answer.headers.get('keyhaven-signature')!, body: answer.body },
        now,
      );
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
    const answer = await this.request('POST', 'v1/machines/activate', { ...input }, [200, 201]);
    // The status is signed, so `created` cannot be flipped by changing 200 into 201.
    return { ...jsonAnswer<Omit<ActivateResult, 'created'>>(answer), created: answer.status === 201 };
  }

  /** deactivateMachine: frees the seat. The 204 has no body; its signature covers the status and this call's nonce. */
  async deactivate(input: MachineKeyInput): Promise<void> {
    await this.request('POST', 'v1/machines/deactivate', { key: input.key, fingerprint: input.fingerprint }, [204]);
  }

  /** heartbeatMachine: renews a floating lease; KeyhavenError `HEARTBEAT_DEAD` once it lapsed. */
  async heartbeat(input: MachineKeyInput): Promise<HeartbeatResult> {
    return this.json<HeartbeatResult>('POST', 'v1/machines/heartbeat', { key: input.key, fingerprint: input.fingerprint });
  }

  /**
   * checkoutLicenseFile: a signed license file for offline use. The nonce travels inside the file, so it is
   * checked after the file's own signature (and decryption, for an encrypted file).
   */
  async checkoutLicenseFile(input: CheckoutInput): Promise<CheckoutResult> {
    const encrypt = input.encrypt ?? input.fingerprint !== undefined;
    const answer = await this.request('POST', 'v1/licenses/checkout', { ...input, encrypt }, [200]);
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
    if (payload.nonce !== answer.nonce) throw new ReplayError('NONCE_MISMATCH', 'The license file does not carry the nonce sent: a replayed answer');
    return { file, payload };
  }

  /**
   * checkinLicenseFile: returns this machine's offline license files early, so its seat is no longer
   * borrowed (then `deactivate` may free it). Delete the saved files first: the server cannot call them back.
   */
  async checkinLicenseFile(input: MachineKeyInput): Promise<HeartbeatResult> {
    return this.json<HeartbeatResult>('POST', 'v1/licenses/checkin', { key: input.key, fingerprint: input.fingerprint });
  }

  /** recordUsage: spends credits of a metered feature; KeyhavenError `USAGE_EXHAUSTED` (422) when not enough are left. */
  async recordUsage(input: RecordUsageInput): Promise<UsageResult> {
    return this.json<UsageResult>('POST', 'v1/usage', { ...input });
  }

  /**
   * checkForUpdate: the newest release the license is entitled to above `version` (signed answer, nonce
   * checked like validate). `release.artifacts` is always an array: servers that do not list artifacts
   * with the update check give none.
   */
  async checkForUpdate(input: UpdateCheckInput): Promise<UpdateCheckResult> {
    const answer = await this.json<UpdateCheckResult>('POST', 'v1/updates/check', { ...input });
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
    return this.json<PublicKeyResult>('GET', 'v1/public-key', undefined);
  }

  private async json<T>(method: string, path: string, body: Record<string, unknown> | undefined): Promise<T> {
    return jsonAnswer<T>(await this.request(method, path, body, [200]));
  }

  /**
   * Sends with a fresh nonce (the `Keyhaven-Nonce` header, and the body's `nonce`), verifies the answer's
   * signature over its status and that nonce, and its Date; turns an error answer into KeyhavenError and
   * refuses a success status the operation never answers with (`expect`).
   */
  private async request(method: string, path: string, body: Record<string, unknown> | undefined, expect: readonly number[]): Promise<SignedAnswer> {
    const url = new URL(path, this.baseUrl);
    const nonce = newNonce();
    const headers: Record<string, string> = { accept: 'application/json, text/plain', 'keyhaven-nonce': nonce };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.userAgent) headers['user-agent'] = this.userAgent;
    let response: Response;
    let raw: Buffer;
    try {
      response = await this.fetchImpl(url.toString(), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(stripUndefined({ ...body, nonce })) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      raw = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      if (error instanceof KeyhavenSdkError) throw error;
      throw new NetworkError(`Cannot reach the license server at ${url.origin}: ${(error as Error)?.message ?? String(error)}`, undefined, { cause: error });
    }
    const answer: SignedAnswer = { method, status: response.status, path: url.pathname, nonce, headers: response.headers, body: raw };
    this.verify(answer);
    if (answer.status >= 400) throw toKeyhavenError(answer);
    if (!expect.includes(answer.status)) {
      throw new SignatureError('MALFORMED', `${method} /${path} answers ${expect.join(' or ')}, not ${answer.status}`);
    }
    return answer;
  }

  private verify(answer: SignedAnswer): void {
    const { method, path, status, nonce, body } = answer;
    const header = answer.headers.get('keyhaven-signature');
    const date = answer.headers.get('date');
    if (!header || !date) {
      // An unsigned server error is what a proxy or load balancer says when the server is down.
      if (answer.status >= 500) throw new NetworkError(`The license server is unavailable (HTTP ${answer.status})`, answer.status);
      throw new SignatureError('MISSING', 'The answer is not signed (no Keyhaven-Signature or Date header)');
    }
    const parsed = parseSignatureHeader(header);
    if (!parsed || parsed.algorithm.toLowerCase() !== 'ed25519') throw new SignatureError('MALFORMED', 'The Keyhaven-Signature header is malformed or not ed25519');
    if (!verifyEd25519(this.key, signingString(date, method, path, status, nonce, body), parsed.signature)) {
      // An authentic answer to another request (recorded, or another license's) names that request's nonce.
      const echoed = echoedNonce(body);
      if (echoed !== undefined && echoed !== nonce && verifyEd25519(this.key, signingString(date, method, path, status, echoed, body), parsed.signature)) {
        throw new ReplayError('NONCE_MISMATCH', 'The answer was signed for another request (another nonce): a replayed answer');
      }
      const hint = parsed.keyId !== this.keyId ? ` (signed with key ${parsed.keyId}, the embedded key is ${this.keyId})` : '';
      throw new SignatureError('INVALID', `The answer's signature does not verify over its status, the nonce sent and its body${hint}`);
    }
    const at = Date.parse(date);
    if (Number.isNaN(at)) throw new SignatureError('MALFORMED', 'The Date header is not a date');
    const skew = Math.abs(this.clock().getTime() - at);
    if (skew > this.maxSkewMs) {
      throw new ReplayError('STALE', `The answer's Date (${date}) is ${Math.round(skew / 1000)} s away from local time: a replayed answer or a wrong clock`);
    }
  }
}

/** 144 random bits, new for every request: nothing about it can be computed in advance. */
function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The `nonce` a JSON answer echoes, if it is one. */
function echoedNonce(body: Buffer): string | undefined {
  try {
    const value = JSON.parse(body.toString('utf8')) as { nonce?: unknown } | null;
    return value !== null && typeof value === 'object' && typeof value.nonce === 'string' ? value.nonce : undefined;
  } catch {
    return undefined;
  }
}

/** A verified JSON answer, which must echo the nonce sent (the signature covers it already; a mismatch is a server bug or an attack). */
function jsonAnswer<T>(answer: SignedAnswer): T {
  const value = parseJson(answer.body) as T & { nonce?: unknown };
  if (value === null || typeof value !== 'object') throw new SignatureError('MALFORMED', 'The answer is not a JSON object');
  if (value.nonce !== answer.nonce) throw new ReplayError('NONCE_MISMATCH', 'The answer does not echo the nonce sent: a replayed answer');
  return value;
}

/** A verified validation answer that answers exactly this request (scope and key), else SignatureError SCOPE_MISMATCH. */
function validationResult(answer: SignedAnswer, input: ValidateInput): ValidationResult {
  const result = jsonAnswer<ValidationResult>(answer);
  const mismatch = scopeMismatch(result, input);
  if (mismatch !== undefined) throw new SignatureError('SCOPE_MISMATCH', `The validation answer is not for this request: ${mismatch}`);
  return result;
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
  if (parsed !== null && typeof parsed === 'object' && 'nonce' in parsed && (parsed as { nonce?: unknown }).nonce !== answer.nonce) {
    throw new ReplayError('NONCE_MISMATCH', 'The error answer does not echo the nonce sent: a replayed answer');
  }
  const error = parsed?.error;
  const code = typeof error?.code === 'string' ? error.code : `HTTP_${answer.status}`;
  const message = typeof error?.message === 'string' ? error.message : `The server answered HTTP ${answer.status}`;
  const details = error?.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : undefined;
  const retry = answer.headers.get('retry-after');
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined;
  return new KeyhavenError(code, message, answer.status, details, retryAfter);
}
