import { createHash, randomInt } from 'node:crypto';

/** Crockford base32: no I, L, O or U, so keys read aloud and typed by hand survive. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RADIX = ALPHABET.length;
const GROUPS = 6;
const GROUP_SIZE = 5;
/** 29 random symbols × 5 bits = 145 bits of entropy; the 30th symbol is the check character. */
const RANDOM_SYMBOLS = GROUPS * GROUP_SIZE - 1;

const VALUE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
// Crockford's decoding of look-alikes.
VALUE.set('O', 0);
VALUE.set('I', 1);
VALUE.set('L', 1);

/**
 * Luhn mod N: catches every single-symbol typo and nearly every swap of two neighbouring symbols (the one
 * blind spot is swapping the symbols worth 0 and N-1, i.e. `0` and `Z`).
 */
function checkSymbol(values: number[]): number {
  let factor = 2;
  let sum = 0;
  for (let i = values.length - 1; i >= 0; i--) {
    let addend = factor * values[i]!;
    factor = factor === 2 ? 1 : 2;
    addend = Math.floor(addend / RADIX) + (addend % RADIX);
    sum += addend;
  }
  return (RADIX - (sum % RADIX)) % RADIX;
}

/** A new license key from the CSPRNG, e.g. `7KQ2M-XD9PA-...-4T8V3`. */
export function generateLicenseKey(): string {
  const values: number[] = [];
  for (let i = 0; i < RANDOM_SYMBOLS; i++) values.push(randomInt(RADIX));
  values.push(checkSymbol(values));
  const text = values.map((v) => ALPHABET[v]).join('');
  return formatKey(text);
}

function formatKey(canonical: string): string {
  const groups: string[] = [];
  for (let i = 0; i < canonical.length; i += GROUP_SIZE) groups.push(canonical.slice(i, i + GROUP_SIZE));
  return groups.join('-');
}

export type ParsedKey = { ok: true; canonical: string; display: string } | { ok: false; reason: string };

/**
 * Normalizes what a person typed (case, dashes, spaces, look-alike letters) and checks the check
 * symbol, so a typo is caught before any lookup. `canonical` is what gets digested.
 */
export function parseLicenseKey(input: string): ParsedKey {
  const stripped = input.toUpperCase().replace(/[\s-]/g, '');
  if (stripped.length !== GROUPS * GROUP_SIZE) {
    return { ok: false, reason: `a license key has ${GROUPS * GROUP_SIZE} symbols in ${GROUPS} groups` };
  }
  const values: number[] = [];
  for (const char of stripped) {
    const value = VALUE.get(char);
    if (value === undefined) return { ok: false, reason: `"${char}" cannot appear in a license key` };
    values.push(value);
  }
  const check = values.pop()!;
  if (checkSymbol(values) !== check) return { ok: false, reason: 'the check symbol does not match: the key has a typo' };
  const canonical = values.map((v) => ALPHABET[v]).join('') + ALPHABET[check];
  return { ok: true, canonical, display: formatKey(canonical) };
}

/** The last group, safe to show in lists and logs so people can tell keys apart. */
export function keyHint(canonical: string): string {
  return canonical.slice(-GROUP_SIZE);
}

/**
 * What a validation answer says about the key it answers: base64url SHA-256 of `keyhaven-license-key`,
 * a NUL and the canonical key. The SDK computes the same from the key it holds, so an answer kept for
 * offline use cannot be passed off as another key's. Keys carry 145 random bits, so the digest reveals
 * nothing a guesser could use.
 */
export function answerKeyDigest(canonical: string): string {
  return createHash('sha256').update('keyhaven-license-key\0').update(canonical).digest('base64url');
}
