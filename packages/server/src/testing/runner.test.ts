import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';

/**
 * scripts/test.mjs itself, run as a child process on one small test file (dialects.test.ts) with a
 * PostgreSQL address nobody answers at: a laptop run passes on SQLite and says loudly what it skipped;
 * a strict (CI) run refuses to start without PostgreSQL, and fails when anything was skipped.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const NOBODY = 'postgres://postgres@127.0.0.1:1/postgres';

function runner(extra: NodeJS.ProcessEnv) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_TEST_URL: NOBODY, ...extra };
  // This file runs under the test runner and scripts/test.mjs: the child must start its own run.
  for (const name of ['NODE_TEST_CONTEXT', 'KEYHAVEN_TEST_DIALECTS', 'KEYHAVEN_TEST_REQUIRE', 'CI']) if (!(name in extra)) delete env[name];
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete env[name];
  const res = spawnSync(process.execPath, ['scripts/test.mjs', 'src/testing/dialects.test'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, out: `${res.stdout}\n${res.stderr}` };
}

describe('scripts/test.mjs', () => {
  test('without strict mode: runs SQLite only, passes, and ends with a loud summary of the skipped PostgreSQL suite', () => {
    const { code, out } = runner({});
    assert.equal(code, 0, out);
    assert.match(out, /declared for sqlite runs because sqlite is in this run/);
    const summary = out.slice(out.lastIndexOf('SKIPPED:'));
    assert.match(summary, /SKIPPED: 1 test\(s\) or suite\(s\) did NOT run/);
    assert.match(summary, /1 × postgres is not reachable in this run/);
    assert.match(summary, /why: PostgreSQL does not answer at postgres:\/\/127\.0\.0\.1:1\/postgres/);
  });

  test('CI=true: fails at once, before any test runs, when PostgreSQL does not answer', () => {
    const { code, out } = runner({ CI: 'true' });
    assert.equal(code, 1, out);
    assert.match(out, /FAILED before running a test: PostgreSQL does not answer at postgres:\/\/127\.0\.0\.1:1\/postgres/);
    assert.doesNotMatch(out, /declared for sqlite runs/);
  });

  test('KEYHAVEN_TEST_REQUIRE=postgres with the dialects narrowed to SQLite fails at once', () => {
    const { code, out } = runner({ KEYHAVEN_TEST_REQUIRE: 'postgres', KEYHAVEN_TEST_DIALECTS: 'sqlite' });
    assert.equal(code, 1, out);
    assert.match(out, /FAILED before running a test: KEYHAVEN_TEST_DIALECTS=sqlite leaves out PostgreSQL/);
  });

  test('an unknown requirement is refused', () => {
    const { code, out } = runner({ KEYHAVEN_TEST_REQUIRE: 'postgres,oracle' });
    assert.equal(code, 2, out);
    assert.match(out, /KEYHAVEN_TEST_REQUIRE lists "oracle"/);
  });

  // Needs what a strict run needs besides PostgreSQL (CI has both; a laptop without them skips this).
  const browserReady = existsSync('/usr/bin/chromium') && existsSync(path.join(ROOT, 'packages/web/dist/index.html'));
  test('strict mode fails the run when a suite was skipped, even though every test that ran passed', { skip: browserReady ? false : 'needs Chromium and the built web app' }, () => {
    const { code, out } = runner({ KEYHAVEN_TEST_REQUIRE: 'chromium' });
    assert.match(out, /declared for sqlite runs because sqlite is in this run/);
    assert.match(out, /1 × postgres is not reachable in this run/);
    assert.match(out, /FAILED: strict mode \(KEYHAVEN_TEST_REQUIRE=chromium\) allows no skipped test/);
    assert.equal(code, 1, out);
  });
});
