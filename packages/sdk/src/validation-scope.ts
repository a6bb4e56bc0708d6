import { licenseKeyDigest } from './crypto.js';
import type { ValidateInput, ValidationResult, ValidationScope } from './types.js';

/** The scope a validation request asks about, as the server states it back (null where not given). */
export function requestScope(input: ValidateInput): ValidationScope {
  return {
    fingerprint: input.fingerprint ?? null,
    product: input.product ?? null,
    features: input.features ?? null,
    domain: input.domain ?? null,
  };
}

function sameFeatures(a: unknown, b: string[] | null): boolean {
  if (b === null || a === null) return a === b;
  if (!Array.isArray(a) || a.length !== b.length || !a.every((f) => typeof f === 'string')) return false;
  const sorted = [...(a as string[])].sort();
  return [...b].sort().every((f, i) => f === sorted[i]);
}

/**
 * Why a signed validation answer does not answer this request, or undefined when it does: its `scope`
 * must be the request's own (fingerprint, product, features as a set, domain) and its `keyDigest` the
 * digest of the request's key. Otherwise a genuine answer to a narrower request (no fingerprint, no
 * product) or for another key could stand in for the application's.
 */
export function scopeMismatch(result: ValidationResult, input: ValidateInput): string | undefined {
  const scope = result.scope as Partial<ValidationScope> | undefined;
  if (scope === null || typeof scope !== 'object') return 'the answer does not state what it covers';
  const asked = requestScope(input);
  for (const field of ['fingerprint', 'product', 'domain'] as const) {
    if (scope[field] !== asked[field]) return `the answer covers ${field} ${JSON.stringify(scope[field] ?? null)}, not ${JSON.stringify(asked[field])}`;
  }
  if (!sameFeatures(scope.features ?? null, asked.features)) return `the answer covers features ${JSON.stringify(scope.features ?? null)}, not ${JSON.stringify(asked.features)}`;
  if (result.keyDigest !== licenseKeyDigest(input.key)) return 'the answer is for another license key';
  return undefined;
}
