import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startTestApp, testDialects } from '../testing/harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const REDOCLY = path.join(ROOT, 'node_modules/.bin/redocly');

interface RedoclyProblem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer: string }[];
}

/**
 * The served document passes Redocly's recommended rules (redocly.yaml at the root says which, and why
 * any is changed). The document does not depend on the database, so one dialect is enough.
 */
test('/openapi.json passes `redocly lint` with redocly.yaml, without an error or a warning', async () => {
  // As a deployment serves it: KEYHAVEN_PUBLIC_URL is the vendor's address, which becomes `servers`
  // (the tests' usual localhost would rightly fail no-server-example.com).
  const t = await startTestApp(testDialects()[0]!, { config: { publicUrl: 'https://licenses.vendor.test' } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-openapi-'));
  try {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, res.body);
    const lint = spawnSync(REDOCLY, ['lint', '--config', path.join(ROOT, 'redocly.yaml'), '--format=json', file], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
      // No usage reports or update checks from a test run.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    assert.ok(lint.stdout.trim().startsWith('{'), `redocly did not report (exit ${lint.status}):\n${lint.stderr}`);
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: RedoclyProblem[] };
    const problems = report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location.map((l) => l.pointer).join(', ')}: ${p.message}`);
    assert.deepEqual(problems, []);
    assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  }
});
