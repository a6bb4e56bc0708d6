import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const semver = createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean };

/** The oldest release of each Node.js line Keyhaven supports, and the line the machine runs. */
const SUPPORTED = ['20.19.0', '22.13.0', '24.0.0', process.versions.node];

test('Keyhaven declares the Node.js lines it supports, and every package in the lockfile accepts them (no EBADENGINE)', () => {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  for (const version of SUPPORTED) assert.ok(semver.satisfies(version, root.engines.node), `package.json engines ${root.engines.node} admits ${version}`);
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
  const refusing: string[] = [];
  for (const [where, info] of Object.entries(lock.packages)) {
    const range = info.engines && !Array.isArray(info.engines) ? info.engines.node : undefined;
    if (!where || !range) continue;
    const excluded = SUPPORTED.filter((version) => !semver.satisfies(version, range));
    if (excluded.length > 0) refusing.push(`${where.replace(/^.*node_modules\//, '')}@${info.version} wants node ${range} (excludes ${excluded.join(', ')})`);
  }
  assert.deepEqual(refusing, []);
});
