import { hostname as osHostname, platform as osPlatform } from 'node:os';
import { canonicalLicenseKey } from './crypto.js';
import { ACTIVATION_REQUEST_LABEL, armor } from './format.js';

export { ACTIVATION_REQUEST_LABEL };

export interface ActivationRequestInput {
  key: string;
  /** This machine's fingerprint (machineFingerprint()); the license file that comes back is bound to it. */
  fingerprint: string;
  /** A friendly name for the machine, shown to the vendor and the customer. */
  name?: string;
  /** Default: this machine's host name. */
  hostname?: string;
  /** Default: process.platform. */
  platform?: string;
}

/**
 * Offline activation, step 1: the text an application on a machine without network writes (to a file, or
 * shows for copying). An operator submits it from a connected machine (`createOfflineActivation`, or the
 * customer portal) and brings back a license file bound to this machine, which the application checks
 * with verifyLicenseFile. The request holds nothing secret beyond the key the customer already has.
 */
export function createActivationRequest(input: ActivationRequestInput): string {
  if (!input || typeof input.key !== 'string' || typeof input.fingerprint !== 'string' || input.fingerprint === '') {
    throw new TypeError('createActivationRequest: key and fingerprint are required');
  }
  const request = {
    v: 1,
    key: canonicalLicenseKey(input.key),
    fingerprint: input.fingerprint,
    ...(input.name ? { name: input.name.slice(0, 255) } : {}),
    hostname: (input.hostname ?? osHostname()).slice(0, 255),
    platform: (input.platform ?? osPlatform()).slice(0, 255),
    createdAt: new Date().toISOString(),
  };
  return armor(ACTIVATION_REQUEST_LABEL, request);
}
