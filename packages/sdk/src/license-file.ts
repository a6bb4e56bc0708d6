import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalLicenseKey, loadPublicKey, verifyEd25519, type PublicKeyInput } from './crypto.js';
import { LicenseFileError } from './errors.js';
import { fileKey, LICENSE_FILE_LABEL, openPayload, readArmor, type LicenseFileEnvelope, type LicenseFilePayload } from './format.js';

export { LICENSE_FILE_LABEL, type LicenseFileEnvelope, type LicenseFilePayload };

/** How far the clock may run behind the latest time seen (or a file's issuedAt) before it counts as rolled back. */
export const DEFAULT_CLOCK_TOLERANCE_MS = 5 * 60_000;

export interface VerifyLicenseFileOptions {
  publicKey: PublicKeyInput;
  /**
   * This machine's fingerprint; required for a file bound to a machine and to decrypt. When given, an
   * unbound file is refused (UNBOUND) unless the file itself says unbound files are allowed (a license
   * without a seat limit): otherwise one unbound file would license every machine.
   */
  fingerprint?: string;
  /** The license key; required to decrypt an encrypted (`aes-256-gcm`) file. */
  licenseKey?: string;
  /** Defaults to the system clock. */
  now?: Date;
  /**
   * Path of a small JSON file remembering the latest time seen, for clock-rollback detection. Without it,
   * only the file's own issuedAt bounds how far back the clock may be set.
   */
  clockStore?: string;
  /** Default 5 minutes. */
  clockToleranceMs?: number;
}

function fail(code: ConstructorParameters<typeof LicenseFileError>[0], message: string, cause?: unknown): never {
  throw new LicenseFileError(code, message, cause === undefined ? undefined : { cause });
}

/** Reads the armoured block out of any surrounding text (e-mail, a textbox, CRLF line ends). */
export function parseLicenseFile(text: string): LicenseFileEnvelope {
  if (typeof text !== 'string') fail('MALFORMED', 'A license file is text');
  const read = readArmor(LICENSE_FILE_LABEL, text);
  if ('problem' in read) {
    const problems = { NO_BLOCK: `No ${LICENSE_FILE_LABEL} block found`, NOT_BASE64: 'The license file block is not base64', NOT_JSON: 'The license file block is not JSON' };
    fail('MALFORMED', problems[read.problem], read.cause);
  }
  const e = read.json as Partial<LicenseFileEnvelope> | null;
  if (
    !e ||
    typeof e !== 'object' ||
    e.v !== 1 ||
    e.alg !== 'ed25519' ||
    (e.enc !== 'none' && e.enc !== 'aes-256-gcm') ||
    typeof e.payload !== 'string' ||
    typeof e.sig !== 'string' ||
    typeof e.keyId !== 'string'
  ) {
    fail('MALFORMED', 'Not a Keyhaven license file (unknown version, algorithm or fields)');
  }
  return e as LicenseFileEnvelope;
}

/**
 * Checks the signature and decodes (decrypting if needed) the payload, without any check of time or
 * machine binding. Use verifyLicenseFile to decide whether to trust a file.
 */
export function readLicenseFile(text: string, options: Pick<VerifyLicenseFileOptions, 'publicKey' | 'fingerprint' | 'licenseKey'>): LicenseFilePayload {
  const envelope = parseLicenseFile(text);
  const { key } = loadPublicKey(options.publicKey);
  if (!verifyEd25519(key, envelope.payload, envelope.sig)) {
    fail('SIGNATURE_INVALID', 'The license file signature does not verify: it was altered or signed by another server');
  }
  let json: string;
  if (envelope.enc === 'aes-256-gcm') {
    if (options.licenseKey === undefined || options.fingerprint === undefined) {
      fail('KEY_REQUIRED', 'This license file is encrypted: pass licenseKey and fingerprint to read it');
    }
    try {
      json = openPayload(envelope.payload, fileKey(canonicalLicenseKey(options.licenseKey), options.fingerprint));
    } catch (error) {
      fail('WRONG_MACHINE', 'This license file cannot be decrypted with this license key and machine fingerprint', error);
    }
  } else {
    json = Buffer.from(envelope.payload, 'base64').toString('utf8');
  }
  let payload: LicenseFilePayload;
  try {
    payload = JSON.parse(json) as LicenseFilePayload;
  } catch (error) {
    fail('MALFORMED', 'The license file payload is not JSON', error);
  }
  if (
    !payload ||
    typeof payload !== 'object' ||
    payload.kind !== 'keyhaven.license-file' ||
    typeof payload.issuedAt !== 'string' ||
    typeof payload.expiresAt !== 'string' ||
    Number.isNaN(Date.parse(payload.issuedAt)) ||
    Number.isNaN(Date.parse(payload.expiresAt)) ||
    (payload.fingerprint !== null && typeof payload.fingerprint !== 'string') ||
    (payload.unboundAllowed !== undefined && typeof payload.unboundAllowed !== 'boolean')
  ) {
    fail('MALFORMED', 'The license file payload is not a Keyhaven license');
  }
  return payload;
}

interface ClockStoreContent {
  v: 1;
  latest: string;
}

function readClockStore(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // first run
  }
  try {
    const content = JSON.parse(text) as Partial<ClockStoreContent>;
    const at = typeof content.latest === 'string' ? Date.parse(content.latest) : Number.NaN;
    return Number.isNaN(at) ? undefined : at;
  } catch {
    return undefined;
  }
}

function writeClockStore(path: string, at: number): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    const content: ClockStoreContent = { v: 1, latest: new Date(at).toISOString() };
    writeFileSync(tmp, JSON.stringify(content) + '\n', { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    // A read-only location must not turn a valid license into a failure; rollback detection degrades.
  }
}

/**
 * Verifies a license file offline and returns what it asserts. Throws LicenseFileError:
 * MALFORMED, SIGNATURE_INVALID, KEY_REQUIRED (encrypted, licenseKey/fingerprint missing), WRONG_MACHINE,
 * UNBOUND (an unbound file while the app names its machine, on a license that does not allow them),
 * CLOCK_ROLLBACK, NOT_YET_VALID, EXPIRED.
 */
export function verifyLicenseFile(text: string, options: VerifyLicenseFileOptions): LicenseFilePayload {
  const payload = readLicenseFile(text, options);
  if (payload.fingerprint !== null) {
    if (options.fingerprint === undefined) fail('WRONG_MACHINE', 'This license file is bound to a machine: pass this machine\'s fingerprint');
    if (payload.fingerprint !== options.fingerprint) fail('WRONG_MACHINE', 'This license file is bound to another machine');
  } else if (options.fingerprint !== undefined && payload.unboundAllowed !== true) {
    fail('UNBOUND', 'This license file is not bound to a machine, and this license allows only files bound to one: check out a file for this machine');
  }
  const now = (options.now ?? new Date()).getTime();
  const tolerance = options.clockToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;
  const issuedAt = Date.parse(payload.issuedAt);
  const expiresAt = Date.parse(payload.expiresAt);
  if (options.clockStore !== undefined) {
    const latest = readClockStore(options.clockStore);
    if (latest !== undefined && now < latest - tolerance) {
      fail('CLOCK_ROLLBACK', `The system clock is behind a time already seen (${new Date(latest).toISOString()}): it was set back`);
    }
    const seen = Math.max(latest ?? 0, now, Math.min(issuedAt, now + tolerance));
    if (latest === undefined || seen > latest) writeClockStore(options.clockStore, seen);
  }
  if (now < issuedAt - tolerance) fail('NOT_YET_VALID', `The license file was issued at ${payload.issuedAt}, after this machine's clock: check the clock`);
  if (now >= expiresAt) fail('EXPIRED', `The license file expired at ${payload.expiresAt}: check out a new one`);
  return payload;
}
