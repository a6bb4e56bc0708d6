import type { Signer } from '../../crypto/signing.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { EventsService, RequestContext } from '../events/events.service.js';
import { parseLicenseKey } from '../licenses/license-key.js';
import type { ClientLicense, LicensesService } from '../licenses/licenses.service.js';
import type { SeatsService } from '../machines/seats.service.js';
import { MAX_OFFLINE_DAYS, type PoliciesService } from '../policies/policies.service.js';
import { SYSTEM_ACTOR } from '../../http/access.js';
import { ACTIVATION_REQUEST_LABEL, armor, dearmor, fileKey, LICENSE_FILE_LABEL, sealPayload, type LicenseFileEnvelope, type LicenseFilePayload } from './license-file.js';

/** A file's lifetime when the request names none (clamped to the policy's offlineMaxDays). */
export const DEFAULT_TTL_DAYS = 30;
/** The most a request may ask for; the policy's offlineMaxDays (at most this) is what a file gets. */
export const MAX_TTL_DAYS = MAX_OFFLINE_DAYS;

export interface CheckoutInput {
  key: string;
  fingerprint?: string;
  ttlDays?: number;
  /** Encrypt the terms to the key and fingerprint (needs a fingerprint). */
  encrypt?: boolean;
  nonce?: string;
}

/** The fields of an activation request file written by an application on an offline machine. */
interface ActivationRequest {
  key: string;
  fingerprint: string;
  name?: string;
  hostname?: string;
  platform?: string;
}

export interface OfflineDeps {
  db: Db;
  clock: Clock;
  signer: Signer;
  events: EventsService;
  licenses: LicensesService;
  seats: SeatsService;
  policies: PoliciesService;
}

/**
 * Offline licensing: signed license files (checkout), and offline activation, where an operator brings an
 * activation request file from the offline machine and takes back a license file bound to it.
 */
export class OfflineService {
  constructor(private readonly deps: OfflineDeps) {}

  async checkout(input: CheckoutInput, meta: { ip: string; requestId?: string }): Promise<string> {
    const parsed = parseLicenseKey(input.key);
    if (!parsed.ok) throw new AppError('VALIDATION_FAILED', `Malformed license key: ${parsed.reason}`, { fields: { key: parsed.reason } });
    if (input.encrypt && input.fingerprint === undefined) {
      throw new AppError('VALIDATION_FAILED', 'An encrypted file is bound to a machine: send its fingerprint', { fields: { fingerprint: 'is required to encrypt' } });
    }
    const resolved = await this.deps.licenses.resolveKey(input.key);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has this key');
    const { license, row } = resolved;
    const unusable = { revoked: 'REVOKED', suspended: 'SUSPENDED', pending: 'NOT_STARTED', expired: 'EXPIRED' } as const;
    const code = unusable[license.status as keyof typeof unusable];
    if (code) throw new AppError(code, `The license is ${license.status}`);
    // A file on a license with a seat limit stands for a held seat: it is bound to an activated machine,
    // whose seat it borrows until it expires (or is checked in). Only unlimited licenses get unbound files.
    const seatLimited = license.maxMachines !== null || license.maxUsers !== null;
    if (seatLimited && input.fingerprint === undefined) {
      throw new AppError('FINGERPRINT_REQUIRED', 'This license has a seat limit: a license file is bound to an activated machine, send its fingerprint', {
        fields: { fingerprint: 'is required on a license with a seat limit' },
      });
    }
    const policy = await this.deps.policies.get({ actor: SYSTEM_ACTOR }, row.policy_id);
    const ttlDays = Math.min(input.ttlDays ?? DEFAULT_TTL_DAYS, policy.offlineMaxDays);
    const licenseEnd = license.graceEndsAt ?? license.expiresAt;
    const fileEnd = (from: Date) => {
      const ttlEnd = from.getTime() + ttlDays * 86_400_000;
      return new Date(licenseEnd === null ? ttlEnd : Math.min(ttlEnd, Date.parse(licenseEnd)));
    };
    // A bound file is issued at the instant its seat was borrowed (read inside the seat's transaction).
    const borrowed = input.fingerprint === undefined ? undefined : await this.deps.seats.borrowSeat(license.id, input.fingerprint, fileEnd);
    const now = borrowed?.now ?? this.deps.clock.now();
    const expiresAt = (borrowed?.expiresAt ?? fileEnd(now)).toISOString();
    const payload: LicenseFilePayload<ClientLicense> = {
      kind: 'keyhaven.license-file',
      license,
      features: license.features,
      maxMachines: license.maxMachines,
      fingerprint: input.fingerprint ?? null,
      unboundAllowed: !seatLimited,
      issuedAt: now.toISOString(),
      expiresAt,
      ttlDays,
      licenseExpiresAt: license.expiresAt,
      keyId: this.deps.signer.keyId,
      ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    };
    const json = JSON.stringify(payload);
    const body =
      input.encrypt && input.fingerprint !== undefined
        ? sealPayload(json, fileKey(parsed.canonical, input.fingerprint))
        : Buffer.from(json).toString('base64');
    const envelope: LicenseFileEnvelope = {
      v: 1,
      alg: 'ed25519',
      keyId: this.deps.signer.keyId,
      enc: input.encrypt ? 'aes-256-gcm' : 'none',
      payload: body,
      sig: this.deps.signer.sign(body),
    };
    await this.deps.events.record(
      this.deps.db,
      { actor: { type: 'license', id: license.id, role: 'customer-member', scope: {}, label: `license ${license.id}` }, requestId: meta.requestId, ip: meta.ip },
      {
        action: 'license.checked_out',
        targetType: 'license',
        targetId: license.id,
        customerId: row.customer_id,
        after: { fingerprint: payload.fingerprint, expiresAt, ttlDays, encrypted: envelope.enc !== 'none' },
      },
    );
    return armor(LICENSE_FILE_LABEL, envelope);
  }

  /**
   * An operator (staff, or an admin of the customer) submits the activation request file written on the
   * offline machine: the machine takes a seat and the answer is a license file bound to it.
   */
  async activateOffline(
    ctx: RequestContext,
    requestText: string,
    options: { ttlDays?: number; encrypt?: boolean },
  ): Promise<string> {
    const request = dearmor(ACTIVATION_REQUEST_LABEL, requestText) as Partial<ActivationRequest> | undefined;
    const text = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max && !v.includes('\u0000');
    if (!request || typeof request !== 'object' || !text(request.key, 100) || !text(request.fingerprint, 255)) {
      throw new AppError('VALIDATION_FAILED', `Not an activation request: paste the whole ${ACTIVATION_REQUEST_LABEL} block`, {
        fields: { request: 'is not an activation request' },
      });
    }
    for (const field of ['name', 'hostname', 'platform'] as const) {
      if (request[field] !== undefined && !text(request[field], 255)) {
        throw new AppError('VALIDATION_FAILED', `The activation request has an invalid ${field}`, { fields: { [`request.${field}`]: 'is invalid' } });
      }
    }
    const resolved = await this.deps.licenses.resolveKey(request.key!);
    if (!resolved) throw new AppError('NOT_FOUND', 'No license has the key in this activation request');
    // The operator must be allowed to see the license (a customer admin: its own organization's).
    await this.deps.licenses.get(ctx, resolved.license.id);
    await this.deps.seats.activate(
      {
        key: request.key!,
        fingerprint: request.fingerprint!,
        ...(request.name ? { name: request.name } : {}),
        ...(request.hostname ? { hostname: request.hostname } : {}),
        ...(request.platform ? { platform: request.platform } : {}),
        metadata: { activatedOffline: true, operator: ctx.actor.label },
      },
      { ip: ctx.ip ?? 'unknown', ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    );
    return this.checkout(
      { key: request.key!, fingerprint: request.fingerprint!, ...(options.ttlDays ? { ttlDays: options.ttlDays } : {}), ...(options.encrypt ? { encrypt: true } : {}) },
      { ip: ctx.ip ?? 'unknown', ...(ctx.requestId ? { requestId: ctx.requestId } : {}) },
    );
  }
}
