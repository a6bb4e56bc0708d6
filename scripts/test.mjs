#!/usr/bin/env node
// Runs the whole test suite with node's test runner. Every test file runs each scenario on SQLite and,
// when a PostgreSQL server answers (DATABASE_TEST_URL, default postgres://postgres@127.0.0.1:5432/postgres),
// on PostgreSQL too, each in a fresh database. Parts that cannot run here are skipped tests, and the run
// ends with a summary of every skip and its reason.
//
// Strict mode (CI): KEYHAVEN_TEST_REQUIRE=postgres,chromium (CI=true means both) fails at once when a
// required part is missing, and fails the run when any test or suite was skipped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filter = process.argv.slice(2);
/** What the browser journeys drive (packages/web/e2e/browser.ts) and what they serve. */
const CHROMIUM = '/usr/bin/chromium';
const WEB_INDEX = path.join(root, 'packages/web/dist/index.html');

const REQUIRABLE = ['postgres', 'chromium'];
const requireSpec = process.env.KEYHAVEN_TEST_REQUIRE ?? (process.env.CI === 'true' ? REQUIRABLE.join(',') : '');
const required = requireSpec.split(',').map((part) => part.trim()).filter(Boolean);
const strict = required.length > 0;
for (const part of required) {
  if (!REQUIRABLE.includes(part)) {
    console.error(`KEYHAVEN_TEST_REQUIRE lists "${part}": it can list ${REQUIRABLE.join(', ')}.`);
    process.exit(2);
  }
}

/** Strict mode: stop before any test runs. */
function missing(what) {
  console.error(`\nFAILED before running a test: ${what}\n(strict mode, KEYHAVEN_TEST_REQUIRE=${required.join(',')}: nothing may be skipped)`);
  process.exit(1);
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

async function postgresReachable(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    return error.message;
  } finally {
    await client.end().catch(() => {});
  }
}

const pgUrl = process.env.DATABASE_TEST_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const env = { ...process.env };
delete env.DATABASE_URL;
const shownUrl = pgUrl.replace(/\/\/[^@]*@/, '//');
/** Why parts of this run are skipped, printed again at the end. */
const notes = [];
if (process.env.KEYHAVEN_TEST_DIALECTS) {
  env.KEYHAVEN_TEST_DIALECTS = process.env.KEYHAVEN_TEST_DIALECTS;
  if (required.includes('postgres') && !env.KEYHAVEN_TEST_DIALECTS.split(',').map((d) => d.trim()).includes('postgres')) {
    missing(`KEYHAVEN_TEST_DIALECTS=${env.KEYHAVEN_TEST_DIALECTS} leaves out PostgreSQL.`);
  }
} else {
  const reachable = await postgresReachable(pgUrl);
  if (reachable === true) {
    env.KEYHAVEN_TEST_DIALECTS = 'sqlite,postgres';
    console.log(`PostgreSQL answers at ${shownUrl}: every scenario runs on SQLite and PostgreSQL.`);
  } else {
    if (required.includes('postgres')) missing(`PostgreSQL does not answer at ${shownUrl} (${reachable}).`);
    env.KEYHAVEN_TEST_DIALECTS = 'sqlite';
    notes.push(`PostgreSQL does not answer at ${shownUrl} (${reachable}): set DATABASE_TEST_URL or start it.`);
    console.log(`PostgreSQL is not reachable (${reachable}): PostgreSQL scenarios are SKIPPED; SQLite only.`);
  }
}
env.DATABASE_TEST_URL = pgUrl;
if (!existsSync(CHROMIUM)) {
  if (required.includes('chromium')) missing(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium).`);
  notes.push(`Chromium is not installed at ${CHROMIUM}: apt-get install chromium.`);
} else if (!existsSync(WEB_INDEX)) {
  if (required.includes('chromium')) missing(`The web app is not built (${path.relative(root, WEB_INDEX)} is missing): npm run build.`);
  notes.push('The web app is not built: npm run build (npm test does).');
}

let files = [...findTests(path.join(root, 'packages')), ...findTests(path.join(root, 'scripts'))].sort();
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

const skipDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-skips-'));
const skipFile = path.join(skipDir, 'skipped.jsonl');
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${pathToFileURL(path.join(root, 'scripts/skip-reporter.mjs'))}`, `--test-reporter-destination=${skipFile}`];
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...reporters, ...files], { stdio: 'inherit', env, cwd: root });
child.on('exit', (code, signal) => {
  const skipped = existsSync(skipFile) ? readFileSync(skipFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];
  rmSync(skipDir, { recursive: true, force: true });
  const skipsFail = strict && skipped.length > 0;
  if (skipped.length > 0) printSkipped(skipped, skipsFail);
  process.exit(signal ? 1 : skipsFail ? 1 : (code ?? 1));
});

/** The loud end-of-run summary: how many tests and suites did not run, grouped by reason. */
function printSkipped(skipped, fails) {
  const byReason = new Map();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s]);
  const rule = '!'.repeat(100);
  const lines = [rule, `!! SKIPPED: ${skipped.length} test(s) or suite(s) did NOT run; passing here proves nothing about them.`];
  for (const [reason, list] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    const names = list.slice(0, 2).map((s) => `"${s.name}"`);
    lines.push(`!!   ${String(list.length).padStart(4)} × ${reason}  (e.g. ${names.join(', ')}${list.length > 2 ? ', …' : ''})`);
  }
  for (const note of notes) lines.push(`!!   why: ${note}`);
  lines.push(fails
    ? `!! FAILED: strict mode (KEYHAVEN_TEST_REQUIRE=${required.join(',')}) allows no skipped test.`
    : '!! CI runs with KEYHAVEN_TEST_REQUIRE=postgres,chromium, where any skip fails the run.');
  lines.push(rule);
  (fails ? console.error : console.log)(`\n${lines.join('\n')}`);
}
