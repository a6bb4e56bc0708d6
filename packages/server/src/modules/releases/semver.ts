import { AppError } from '../../http/errors.js';

/**
 * Strict Semantic Versioning 2.0.0: parse and order. No leading "v", no leading zeros in numeric parts,
 * build metadata allowed and ignored for ordering.
 */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
  build: string[];
}

export function parseSemver(version: string): SemVer | undefined {
  if (version.length > 128) return undefined;
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  const nums = [m[1]!, m[2]!, m[3]!].map(Number);
  if (!nums.every(Number.isSafeInteger)) return undefined;
  return {
    major: nums[0]!,
    minor: nums[1]!,
    patch: nums[2]!,
    prerelease: m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [],
    build: m[5] ? m[5].split('.') : [],
  };
}

/** A version given to the API: parsed, or an `INVALID_VERSION` error naming the field. */
export function parseVersion(version: string, field = 'version'): SemVer {
  const parsed = parseSemver(version);
  if (!parsed) throw new AppError('INVALID_VERSION', `"${version}" is not a semantic version (e.g. 1.4.0 or 2.0.0-rc.1)`, { fields: { [field]: 'must be a semantic version' } });
  return parsed;
}

/** Negative when a < b, 0 when equal in precedence, positive when a > b. */
export function compareSemver(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  // A pre-release has lower precedence than the release.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  const n = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < n; i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export const CHANNELS = ['stable', 'rc', 'beta', 'alpha', 'dev'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The channels at least as stable as `channel`: beta → stable, rc, beta. */
export function channelsFor(channel: Channel): Channel[] {
  return CHANNELS.slice(0, CHANNELS.indexOf(channel) + 1);
}
