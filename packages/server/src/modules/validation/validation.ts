import { licenseStatus, type StatusFacts } from '../licenses/license-status.js';
import type { ValidationCode } from '../licenses/validation-codes.js';

export { VALIDATION_CODES, type ValidationCode } from '../licenses/validation-codes.js';

export interface ValidationFacts extends StatusFacts {
  productId: string;
  productCode: string;
  features: string[];
  domains: string[];
  enforceDomains: boolean;
  /** `updates`: the maintenance model, where an expired license keeps validating (MAINTENANCE_EXPIRED). */
  expiryEnds?: 'access' | 'updates';
  /** Allowed countries; empty: every country. */
  countries?: string[];
  maxMachines: number | null;
  /** The seat count the overdraft allows (maxMachines when there is none). */
  hardMachineLimit?: number | null;
  /** Seats held now (node-locked machines and floating ones with a live lease). */
  activeMachines: number;
  /** When the request names a fingerprint: that machine (null if never activated). */
  machine?: { alive: boolean } | null;
  /** Requested metered features with no credit left in the current period. */
  exhaustedFeatures?: string[];
}

export interface ValidationRequest {
  /** The client's country (ISO alpha-2) from the trusted proxy header, when configured. */
  country?: string;
  product?: string;
  domain?: string;
  features?: string[];
  fingerprint?: string;
}

export interface ValidationOutcome {
  valid: boolean;
  code: ValidationCode;
  detail: string;
}

const fail = (code: ValidationCode, detail: string): ValidationOutcome => ({ valid: false, code, detail });

/** Lowercases, drops a scheme, path, port and trailing dot: "https://App.Example.com:443/x" → "app.example.com". */
export function normalizeDomain(input: string): string {
  let host = input.trim().toLowerCase();
  const scheme = host.indexOf('://');
  if (scheme !== -1) host = host.slice(scheme + 3);
  host = host.split(/[/?#]/)[0] ?? '';
  if (host.includes('@')) host = host.slice(host.lastIndexOf('@') + 1);
  if (!host.startsWith('[')) host = host.replace(/:\d+$/, '');
  return host.replace(/\.$/, '');
}

/**
 * Exact match, or a wildcard pattern `*.example.com` that matches any subdomain at any depth
 * (`a.example.com`, `a.b.example.com`) but not `example.com` itself.
 */
export function domainAllowed(domain: string, patterns: readonly string[]): boolean {
  const host = normalizeDomain(domain);
  if (host === '') return false;
  for (const raw of patterns) {
    const pattern = raw.toLowerCase();
    if (pattern.startsWith('*.')) {
      if (host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1) return true;
    } else if (host === pattern) {
      return true;
    }
  }
  return false;
}

/**
 * The pure validation rules: the license's facts and the request, at an instant. No I/O, so the
 * order is unit-tested with an injected time.
 */
export function evaluateLicense(facts: ValidationFacts | undefined, request: ValidationRequest, now: Date): ValidationOutcome {
  if (!facts) return fail('NOT_FOUND', 'No license has this key');
  const status = licenseStatus(facts, now);
  if (status === 'revoked') return fail('REVOKED', 'The license was revoked');
  if (status === 'suspended') return fail('SUSPENDED', 'The license is suspended');
  if (status === 'pending') return fail('NOT_STARTED', `The license starts at ${facts.startsAt}`);
  if (status === 'expired' && facts.expiryEnds !== 'updates') return fail('EXPIRED', `The license expired at ${facts.expiresAt}`);

  if (request.product !== undefined && request.product !== facts.productId && request.product !== facts.productCode) {
    return fail('PRODUCT_MISMATCH', `The license is for product ${facts.productCode}, not ${request.product}`);
  }

  if (request.domain !== undefined) {
    if ((facts.enforceDomains || facts.domains.length > 0) && !domainAllowed(request.domain, facts.domains)) {
      return fail('DOMAIN_NOT_ALLOWED', `The license does not cover the domain ${normalizeDomain(request.domain)}`);
    }
  } else if (facts.enforceDomains) {
    return fail('DOMAIN_NOT_ALLOWED', 'The license is bound to domains; send the domain being licensed');
  }

  if (facts.countries && facts.countries.length > 0) {
    if (request.country === undefined) return fail('COUNTRY_NOT_ALLOWED', 'The license is limited to some countries and the client country is unknown');
    if (!facts.countries.includes(request.country.toUpperCase())) {
      return fail('COUNTRY_NOT_ALLOWED', `The license is not valid in ${request.country.toUpperCase()}`);
    }
  }

  const machine = request.fingerprint !== undefined ? (facts.machine ?? null) : undefined;
  if (machine === null) {
    return facts.activeMachines === 0
      ? fail('NO_MACHINE', 'The license has no activated machine; activate this one first')
      : fail('FINGERPRINT_NOT_ACTIVATED', 'This machine is not activated on the license');
  }
  const hard = facts.hardMachineLimit !== undefined ? facts.hardMachineLimit : facts.maxMachines;
  if (hard !== null && facts.activeMachines > hard) {
    return fail('TOO_MANY_MACHINES', `${facts.activeMachines} machines are active but the license allows ${hard}`);
  }
  if (machine && !machine.alive) return fail('HEARTBEAT_DEAD', 'The machine stopped sending heartbeats and its seat was freed; activate again');

  if (request.features && request.features.length > 0) {
    const missing = request.features.filter((f) => !facts.features.includes(f));
    if (missing.length > 0) return fail('FEATURES_MISSING', `The license lacks the features: ${missing.join(', ')}`);
  }

  if (facts.exhaustedFeatures && facts.exhaustedFeatures.length > 0) {
    return fail('USAGE_EXHAUSTED', `No credit left for: ${facts.exhaustedFeatures.join(', ')}`);
  }

  if (status === 'expired') {
    return { valid: true, code: 'MAINTENANCE_EXPIRED', detail: `Maintenance ended at ${facts.expiresAt}: the license stays valid; releases published after that are not offered` };
  }
  if (status === 'grace') {
    return { valid: true, code: 'GRACE_PERIOD', detail: `The license expired at ${facts.expiresAt}; the grace period ends at ${facts.graceEndsAt}` };
  }
  if (facts.maxMachines !== null && facts.activeMachines > facts.maxMachines) {
    return { valid: true, code: 'OVERDRAFT', detail: `${facts.activeMachines} machines use ${facts.maxMachines} seats: the overdraft is in use` };
  }
  return { valid: true, code: 'VALID', detail: 'The license is valid' };
}
