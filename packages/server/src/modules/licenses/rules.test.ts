import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateLicenseKey, keyHint, parseLicenseKey } from './license-key.js';
import { graceEndsAt, licenseStatus, type StatusFacts } from './license-status.js';
import { domainAllowed, evaluateLicense, normalizeDomain, VALIDATION_CODES, type ValidationFacts } from '../validation/validation.js';

const DAY = 86_400_000;
const t0 = new Date('2026-05-01T00:00:00.000Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const iso = (days: number) => at(days).toISOString();

function facts(overrides: Partial<ValidationFacts> = {}): ValidationFacts {
  const expiresAt = overrides.expiresAt !== undefined ? overrides.expiresAt : iso(30);
  return {
    startsAt: iso(0),
    expiresAt,
    graceEndsAt: graceEndsAt(expiresAt, 5),
    suspendedAt: null,
    revokedAt: null,
    productId: 'prod_1',
    productCode: 'app',
    features: ['a', 'b'],
    domains: [],
    enforceDomains: false,
    maxMachines: null,
    activeMachines: 0,
    ...overrides,
  };
}

describe('license keys', () => {
  test('6 groups of 5 Crockford symbols, unique, and they parse back', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const key = generateLicenseKey();
      assert.match(key, /^([0-9A-HJKMNP-TV-Z]{5}-){5}[0-9A-HJKMNP-TV-Z]{5}$/);
      const parsed = parseLicenseKey(key);
      assert.ok(parsed.ok);
      assert.equal(parsed.display, key);
      seen.add(key);
    }
    assert.equal(seen.size, 2000);
  });

  test('case, spaces, dashes and look-alike letters are forgiven', () => {
    const key = generateLicenseKey();
    const messy = ` ${key.toLowerCase().replace(/-/g, ' ').replace(/0/g, 'o').replace(/1/g, 'l')} `;
    const parsed = parseLicenseKey(messy);
    assert.ok(parsed.ok);
    assert.equal(parsed.display, key);
  });

  test('every single-symbol typo is caught', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    for (let n = 0; n < 20; n++) {
      const canonical = generateLicenseKey().replace(/-/g, '');
      for (let i = 0; i < canonical.length; i++) {
        for (const c of alphabet) {
          if (c === canonical[i]) continue;
          const typo = canonical.slice(0, i) + c + canonical.slice(i + 1);
          assert.equal(parseLicenseKey(typo).ok, false, `substitution at ${i}`);
        }
      }
    }
  });

  test('every swap of two neighbouring symbols is caught except exactly 0↔Z (the documented Luhn blind spot)', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const body = generateLicenseKey().replace(/-/g, '').slice(0, 29).split('');
    /** The valid key whose symbols at `i` and `i + 1` are `a` and `b` (position 29 is the check symbol). */
    const keyWith = (i: number, a: string, b: string): string => {
      const symbols = [...body];
      symbols[i] = a;
      if (i + 1 < 29) {
        symbols[i + 1] = b;
        const check = [...alphabet].find((c) => parseLicenseKey(symbols.join('') + c).ok)!;
        return symbols.join('') + check;
      }
      // The pair ends on the check symbol: vary the first symbol until `b` is the right check.
      const first = [...alphabet].find((c) => parseLicenseKey(c + symbols.slice(1).join('') + b).ok)!;
      return first + symbols.slice(1).join('') + b;
    };
    const missed: string[] = [];
    let tried = 0;
    for (let i = 0; i < 29; i++) {
      for (const a of alphabet) {
        for (const b of alphabet) {
          if (a === b) continue;
          const key = keyWith(i, a, b);
          assert.ok(parseLicenseKey(key).ok, key);
          const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
          tried++;
          if (parseLicenseKey(swapped).ok) missed.push(`${i}:${a}${b}`);
        }
      }
    }
    assert.equal(tried, 29 * 32 * 31);
    const expected = Array.from({ length: 29 }, (_, i) => [`${i}:0Z`, `${i}:Z0`]).flat();
    assert.deepEqual(missed, expected);
  });

  test('wrong length and foreign symbols are refused with a reason', () => {
    assert.equal(parseLicenseKey('ABC').ok, false);
    const key = generateLicenseKey();
    const bad = parseLicenseKey(key.slice(0, -1) + 'U');
    assert.ok(!bad.ok && /cannot appear/.test(bad.reason));
    assert.equal(keyHint(key.replace(/-/g, '')), key.slice(-5));
  });
});

describe('license status at a given time', () => {
  const base: StatusFacts = { startsAt: iso(0), expiresAt: iso(30), graceEndsAt: iso(35), suspendedAt: null, revokedAt: null };
  test('pending → active → grace → expired', () => {
    assert.equal(licenseStatus(base, at(-1)), 'pending');
    assert.equal(licenseStatus(base, at(0)), 'active');
    assert.equal(licenseStatus(base, at(29.99)), 'active');
    assert.equal(licenseStatus(base, at(30)), 'grace');
    assert.equal(licenseStatus(base, at(34.99)), 'grace');
    assert.equal(licenseStatus(base, at(35)), 'expired');
  });
  test('revoked beats suspended beats dates; perpetual never expires', () => {
    assert.equal(licenseStatus({ ...base, suspendedAt: iso(1), revokedAt: iso(2) }, at(100)), 'revoked');
    assert.equal(licenseStatus({ ...base, suspendedAt: iso(1) }, at(-5)), 'suspended');
    assert.equal(licenseStatus({ ...base, expiresAt: null, graceEndsAt: null }, at(10_000)), 'active');
  });
  test('no grace days: expired at the expiry instant', () => {
    assert.equal(licenseStatus({ ...base, graceEndsAt: graceEndsAt(base.expiresAt, 0) }, at(30)), 'expired');
  });
});

describe('validation order', () => {
  test('codes are unique and VALID comes last', () => {
    assert.equal(new Set(VALIDATION_CODES).size, VALIDATION_CODES.length);
    assert.equal(VALIDATION_CODES.at(-1), 'VALID');
  });
  test('each check in turn decides when every earlier one passes', () => {
    const everythingWrong = facts({ revokedAt: iso(1), suspendedAt: iso(1), startsAt: iso(10), domains: ['x.com'] });
    const request = { product: 'other', domain: 'y.com', features: ['zzz'] };
    const steps: Array<[string, ValidationFacts, Date]> = [
      ['REVOKED', everythingWrong, at(20)],
      ['SUSPENDED', { ...everythingWrong, revokedAt: null }, at(20)],
      ['NOT_STARTED', { ...everythingWrong, revokedAt: null, suspendedAt: null }, at(5)],
      ['EXPIRED', { ...everythingWrong, revokedAt: null, suspendedAt: null }, at(40)],
      ['PRODUCT_MISMATCH', { ...everythingWrong, revokedAt: null, suspendedAt: null }, at(20)],
    ];
    for (const [code, f, now] of steps) assert.equal(evaluateLicense(f, request, now).code, code);
    const live = { ...everythingWrong, revokedAt: null, suspendedAt: null };
    assert.equal(evaluateLicense(live, { ...request, product: 'app' }, at(20)).code, 'DOMAIN_NOT_ALLOWED');
    assert.equal(evaluateLicense(live, { ...request, product: 'app', domain: 'x.com' }, at(20)).code, 'FEATURES_MISSING');
    assert.equal(evaluateLicense(live, { product: 'app', domain: 'x.com', features: ['a'] }, at(20)).code, 'VALID');
    assert.equal(evaluateLicense(live, { product: 'prod_1', domain: 'x.com' }, at(32)).code, 'GRACE_PERIOD');
    assert.equal(evaluateLicense(live, { product: 'prod_1', domain: 'x.com' }, at(32)).valid, true);
  });
  test('an unknown key is NOT_FOUND, as data', () => {
    assert.deepEqual(evaluateLicense(undefined, {}, t0), { valid: false, code: 'NOT_FOUND', detail: 'No license has this key' });
  });
  test('a grace-period license still fails an earlier check', () => {
    assert.equal(evaluateLicense(facts(), { features: ['nope'] }, at(31)).code, 'FEATURES_MISSING');
  });
});

describe('machine checks (only when the app names its fingerprint)', () => {
  const live = facts({ maxMachines: 2, activeMachines: 1 });
  test('no fingerprint: no machine checks', () => {
    assert.equal(evaluateLicense({ ...live, activeMachines: 0 }, {}, at(1)).code, 'VALID');
  });
  test('NO_MACHINE, FINGERPRINT_NOT_ACTIVATED, TOO_MANY_MACHINES, HEARTBEAT_DEAD, VALID', () => {
    assert.equal(evaluateLicense({ ...live, activeMachines: 0, machine: null }, { fingerprint: 'f' }, at(1)).code, 'NO_MACHINE');
    assert.equal(evaluateLicense({ ...live, machine: null }, { fingerprint: 'f' }, at(1)).code, 'FINGERPRINT_NOT_ACTIVATED');
    assert.equal(evaluateLicense({ ...live, activeMachines: 3, machine: { alive: true } }, { fingerprint: 'f' }, at(1)).code, 'TOO_MANY_MACHINES');
    assert.equal(evaluateLicense({ ...live, machine: { alive: false } }, { fingerprint: 'f' }, at(1)).code, 'HEARTBEAT_DEAD');
    assert.equal(evaluateLicense({ ...live, machine: { alive: true } }, { fingerprint: 'f' }, at(1)).code, 'VALID');
    assert.equal(evaluateLicense({ ...live, maxMachines: null, activeMachines: 500, machine: { alive: true } }, { fingerprint: 'f' }, at(1)).code, 'VALID');
  });
  test('over the limit but inside the overdraft: valid with OVERDRAFT; past it: TOO_MANY_MACHINES, with or without a fingerprint', () => {
    const over = { ...live, maxMachines: 4, hardMachineLimit: 5, activeMachines: 5 };
    assert.deepEqual([evaluateLicense(over, {}, at(1)).valid, evaluateLicense(over, {}, at(1)).code], [true, 'OVERDRAFT']);
    assert.equal(evaluateLicense({ ...over, machine: { alive: true } }, { fingerprint: 'f' }, at(1)).code, 'OVERDRAFT');
    assert.equal(evaluateLicense({ ...over, activeMachines: 6 }, {}, at(1)).code, 'TOO_MANY_MACHINES');
    assert.equal(evaluateLicense({ ...live, activeMachines: 3 }, {}, at(1)).code, 'TOO_MANY_MACHINES');
  });
  test('machine checks come after the domain check and before features', () => {
    const f = { ...live, domains: ['a.com'], machine: null };
    assert.equal(evaluateLicense(f, { fingerprint: 'f', domain: 'b.com', features: ['zzz'] }, at(1)).code, 'DOMAIN_NOT_ALLOWED');
    assert.equal(evaluateLicense(f, { fingerprint: 'f', domain: 'a.com', features: ['zzz'] }, at(1)).code, 'FINGERPRINT_NOT_ACTIVATED');
    assert.equal(evaluateLicense({ ...f, machine: { alive: true } }, { fingerprint: 'f', domain: 'a.com', features: ['zzz'] }, at(1)).code, 'FEATURES_MISSING');
  });
});

describe('countries', () => {
  test('an empty list allows every country; otherwise the client country must be known and listed', () => {
    assert.equal(evaluateLicense(facts(), { country: 'FR' }, at(1)).code, 'VALID');
    assert.equal(evaluateLicense(facts(), {}, at(1)).code, 'VALID');
    const limited = facts({ countries: ['DE', 'AT'] });
    assert.equal(evaluateLicense(limited, { country: 'de' }, at(1)).code, 'VALID');
    assert.equal(evaluateLicense(limited, { country: 'FR' }, at(1)).code, 'COUNTRY_NOT_ALLOWED');
    assert.equal(evaluateLicense(limited, {}, at(1)).code, 'COUNTRY_NOT_ALLOWED');
    assert.equal(evaluateLicense({ ...limited, domains: ['a.com'] }, { country: 'FR', domain: 'b.com' }, at(1)).code, 'DOMAIN_NOT_ALLOWED', 'domains are checked first');
  });
});

describe('domains', () => {
  test('normalization', () => {
    assert.equal(normalizeDomain('HTTPS://User@Shop.Example.COM:8443/path?q#f'), 'shop.example.com');
    assert.equal(normalizeDomain('example.com.'), 'example.com');
  });
  test('exact and wildcard matches', () => {
    const patterns = ['example.com', '*.example.org'];
    assert.ok(domainAllowed('example.com', patterns));
    assert.ok(!domainAllowed('www.example.com', patterns));
    assert.ok(domainAllowed('a.example.org', patterns));
    assert.ok(domainAllowed('a.b.example.org', patterns));
    assert.ok(!domainAllowed('example.org', patterns));
    assert.ok(!domainAllowed('badexample.org', patterns));
    assert.ok(!domainAllowed('', patterns));
  });
  test('a license without domains accepts any domain unless the policy enforces them', () => {
    assert.equal(evaluateLicense(facts(), { domain: 'any.com' }, at(1)).code, 'VALID');
    assert.equal(evaluateLicense(facts({ enforceDomains: true }), { domain: 'any.com' }, at(1)).code, 'DOMAIN_NOT_ALLOWED');
  });
});
