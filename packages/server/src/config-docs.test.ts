import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONFIG_DOCS_END, CONFIG_DOCS_FILE, CONFIG_DOCS_START, renderConfigDoc } from './config-docs.js';
import { ConfigError, SETTINGS, loadConfig } from './config.js';

const src = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(src, '../../..');

/** The names `loadConfig` asks the environment for, given `env` (a config error counts as a read too). */
function namesRead(env: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return target[name as string];
    },
  });
  try {
    loadConfig(recording);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  return read;
}

describe('configuration reference', () => {
  test('docs/configuration.md is what scripts/config-docs.mjs writes (run it after changing SETTINGS)', () => {
    const current = readFileSync(path.join(root, CONFIG_DOCS_FILE), 'utf8');
    assert.ok(current.includes(CONFIG_DOCS_START) && current.includes(CONFIG_DOCS_END), 'the file keeps its generated:config markers');
    assert.equal(current, renderConfigDoc(current), `${CONFIG_DOCS_FILE} is out of date: run node scripts/config-docs.mjs`);
    for (const name of Object.keys(SETTINGS)) assert.ok(current.includes(`| \`${name}\` |`), `${name} has a row`);
  });

  test('loadConfig reads exactly the variables of SETTINGS, on every path (SQLite, PostgreSQL, S3)', () => {
    const paths: Record<string, string>[] = [
      {},
      { DATABASE_URL: 'postgres://u@h:5432/db', KEYHAVEN_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') },
      { KEYHAVEN_STORAGE: 's3', KEYHAVEN_S3_BUCKET: 'b' },
    ];
    const read = new Set(paths.flatMap((env) => [...namesRead(env)]));
    assert.deepEqual([...read].sort(), Object.keys(SETTINGS).sort());
  });

  test('config.ts reaches the environment only through read(), whose names are typed by SETTINGS; no other module reads process.env', () => {
    const config = readFileSync(path.join(src, 'config.ts'), 'utf8');
    const direct = config.match(/\benv(?:\.[A-Za-z_]|\[)/g) ?? [];
    assert.deepEqual(direct, ['env['], 'one direct read of env, inside read()');
    const readers: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== 'testing') walk(file);
        } else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && readFileSync(file, 'utf8').includes('process.env')) {
          readers.push(path.relative(src, file));
        }
      }
    };
    walk(src);
    assert.deepEqual(readers, ['config.ts']);
  });

  test('the generator replaces only the text between the markers, and writes a whole file when there is none', () => {
    const edited = `# Title\n\nProse.\n\n${CONFIG_DOCS_START}\nstale\n${CONFIG_DOCS_END}\n\nMore prose.\n`;
    const next = renderConfigDoc(edited);
    assert.ok(next.startsWith('# Title\n\nProse.\n\n') && next.endsWith(`${CONFIG_DOCS_END}\n\nMore prose.\n`));
    assert.ok(!next.includes('stale') && next.includes('| `PORT` | whole number, 0–65535 | `8080` |'));
    assert.equal(renderConfigDoc(next), next);
    assert.ok(renderConfigDoc(undefined).startsWith('# Configuration reference'));
  });
});
