#!/usr/bin/env node
// Runs the whole test suite with node's test runner. Every test file runs each scenario on SQLite and,
// when a PostgreSQL server answers (DATABASE_TEST_URL, default postgres://postgres@127.0.0.1:5432/postgres),
// on PostgreSQL too, each in a fresh database. Parts that cannot run here say so as skipped tests.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const filter = process.argv.slice(2);

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
if (process.env.KEYHAVEN_TEST_DIALECTS) {
  env.KEYHAVEN_TEST_DIALECTS = process.env.KEYHAVEN_TEST_DIALECTS;
} else {
  const reachable = await postgresReachable(pgUrl);
  if (reachable === true) {
    env.KEYHAVEN_TEST_DIALECTS = 'sqlite,postgres';
    console.log(`PostgreSQL answers at ${pgUrl.replace(/\/\/[^@]*@/, '//')}: every scenario runs on SQLite and PostgreSQL.`);
  } else {
    env.KEYHAVEN_TEST_DIALECTS = 'sqlite';
    console.log(`PostgreSQL is not reachable (${reachable}): PostgreSQL scenarios are SKIPPED; SQLite only.`);
  }
}
env.DATABASE_TEST_URL = pgUrl;

let files = [...findTests(path.join(root, 'packages')), ...findTests(path.join(root, 'scripts'))].sort();
if (filter.length > 0) files = files.filter((f) => filter.some((part) => f.includes(part)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env, cwd: root });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
