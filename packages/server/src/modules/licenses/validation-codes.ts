/**
 * Every outcome of a validation, in the order the checks run. The first failing check decides the
 * code; a license in its grace period that passes every check answers GRACE_PERIOD (valid).
 * Codes that belong to later capabilities (machines, countries, usage) keep their place here.
 * They live in licenses, beside the status, because license answers carry them; validation (above
 * licenses) runs the checks in this order (validation.ts) and re-exports them.
 */
export const VALIDATION_CODES = [
  'NOT_FOUND', // 1. no license has this key
  'REVOKED', // 2. revoked: final
  'SUSPENDED', // 3. suspended by staff
  'NOT_STARTED', // 4. before the start date
  'EXPIRED', // 5. past the expiry and the grace period
  'PRODUCT_MISMATCH', // 6. the app asked for another product
  'DOMAIN_NOT_ALLOWED', // 7. the domain is not one of the license's domains
  'COUNTRY_NOT_ALLOWED', // 8. the client's country is not allowed
  'NO_MACHINE', // 9. a fingerprint is required but none is activated
  'FINGERPRINT_NOT_ACTIVATED', // 10. this fingerprint is not activated
  'TOO_MANY_MACHINES', // 11. more machines than seats
  'HEARTBEAT_DEAD', // 12. a floating machine stopped sending heartbeats
  'FEATURES_MISSING', // 13. a requested feature is not licensed
  'USAGE_EXHAUSTED', // 14. a metered feature has no credit left
  'GRACE_PERIOD', // valid: expired but inside the grace period
  'MAINTENANCE_EXPIRED', // valid: expired under the maintenance model (the expiry ends updates, not use)
  'OVERDRAFT', // valid: more machines than seats, inside the policy's overdraft
  'VALID', // valid
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];
