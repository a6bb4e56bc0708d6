import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { createTestDatabase, forEachDialect, type TestDatabase } from './testing/harness.js';
import { CLI, freePort, serve, stop } from './testing/processes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The guides whose shell blocks tell one story, in reading order: the README's tour makes a license of
 * its own with the CLI; getting started sets up a product, policy, customer and license that the others
 * continue with (integrating an app runs the example app on that license and gives its seat back).
 */
const GUIDES = ['README.md', 'docs/getting-started.md', 'docs/integrating-an-app.md', 'docs/licensing.md', 'docs/releases.md'];

export interface DocBlock {
  file: string;
  line: number;
  lang: string;
  /** `sh norun`: shown, never run (each such block says why in the text around it). */
  run: boolean;
  /** Set when the text before the block says "Save this as `name`". */
  saveAs?: string;
  code: string;
}

/** The fenced blocks of a Markdown file, with the line each starts on. */
export function fencedBlocks(file: string, text: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    const before = lines.slice(Math.max(0, start - 3), start).join('\n');
    const saveAs = /Save this as `([^`]+)`/.exec(before)?.[1];
    blocks.push({ file, line: start + 1, lang: open[1]!, run: !/\bnorun\b/.test(open[2]!), ...(saveAs ? { saveAs } : {}), code: body.join('\n') });
  }
  return blocks;
}

/**
 * A documented refusal: a command whose comment lines right after it show an error body (`# {"error": …`)
 * may answer 4xx; every other curl runs with `--fail-with-body`, so an error answer stops the story.
 */
export function markExpectedErrors(code: string): string {
  const lines = code.split('\n');
  let commandStart = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*#/.test(line)) {
      if (commandStart >= 0 && /^\s*#\s*\{"error"/.test(line)) {
        lines[commandStart] = `KH_ALLOW_ERROR=1 ${lines[commandStart]}`;
        commandStart = -1;
      }
      continue;
    }
    if (line.trim() === '') continue;
    const continued = i > 0 && /\\$/.test(lines[i - 1]!) && !/^\s*#/.test(lines[i - 1]!);
    if (!continued && !/^\s*[}\]]/.test(line)) commandStart = i;
  }
  return lines.join('\n');
}

function script(blocks: DocBlock[], substitutions: Record<string, string>): string {
  const parts = [
    'set -euo pipefail',
    // The reader's curl, but an HTTP error stops the run (unless the doc shows that error as the answer).
    'curl() { if [[ -n "${KH_ALLOW_ERROR:-}" ]]; then command curl "$@"; else command curl --fail-with-body "$@"; fi; }',
    // `npx keyhaven` from the repository root runs node_modules/.bin/keyhaven, i.e. the built CLI; the run
    // happens in a scratch directory, so call that same file directly.
    'npx() { if [[ "$1" == keyhaven ]]; then shift; node "$KH_CLI" "$@"; else command npx "$@"; fi; }',
    'trap \'echo "FAILED at $KH_DOC: $BASH_COMMAND" >&2\' ERR',
  ];
  for (const block of blocks) {
    let code = block.code;
    for (const [from, to] of Object.entries(substitutions)) code = code.split(from).join(to);
    parts.push(`KH_DOC='${block.file}:${block.line}'`, markExpectedErrors(code));
  }
  return parts.join('\n');
}

test('expected errors: only the command a "# {"error"…" comment follows may fail', () => {
  const code = ['curl -s a \\', '  -d x | jq .', '# {"error": {"code": "X"}}', 'curl -s b', '# {"ok": true}'].join('\n');
  assert.equal(markExpectedErrors(code), ['KH_ALLOW_ERROR=1 curl -s a \\', '  -d x | jq .', '# {"error": {"code": "X"}}', 'curl -s b', '# {"ok": true}'].join('\n'));
  const blocks = fencedBlocks('x.md', 'Save this as `a.mjs`:\n\n```js\nconsole.log(1)\n```\n\n```sh norun\nexit 1\n```\n');
  assert.deepEqual(
    blocks.map((b) => [b.lang, b.run, b.saveAs ?? null, b.line]),
    [['js', true, 'a.mjs', 3], ['sh', false, null, 7]],
  );
});

forEachDialect('the guides run as written', (dialect) => {
  let dataDir: string;
  let workDir: string;
  let testDb: TestDatabase;

  before(async () => {
    assert.ok(existsSync(CLI), 'build first: npm run build');
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-docs-data-'));
    workDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-docs-work-'));
    testDb = await createTestDatabase(dialect);
  });
  after(async () => {
    await testDb?.drop();
    for (const dir of [dataDir, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the shell blocks of the README and the getting-started, integrating-an-app, licensing and releases guides, in order, against a real server', async () => {
    const which = spawnSync('bash', ['-c', 'command -v curl && command -v jq'], { encoding: 'utf8' });
    assert.equal(which.status, 0, 'the guides use curl and jq: install them');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const database = testDb.config.dialect === 'postgres' ? { DATABASE_URL: testDb.config.url } : {};
    const env = { PATH: process.env.PATH, HOME: workDir, KEYHAVEN_DATA_DIR: dataDir, ...database };
    const { child, banner } = await serve({ ...env, PORT: String(port), HOST: '127.0.0.1', KEYHAVEN_PUBLIC_URL: base, LOG_LEVEL: 'warn' });
    try {
      const password = /password:\s+(\S+)/.exec(banner)?.[1];
      assert.ok(password, banner);
      const blocks = GUIDES.flatMap((file) => fencedBlocks(file, readFileSync(path.join(ROOT, file), 'utf8')));
      // Files the guides ask the reader to save (e.g. verify-license.mjs) are saved where the commands run.
      for (const block of blocks) if (block.saveAs) writeFileSync(path.join(workDir, block.saveAs), block.code);
      const runnable = blocks.filter((b) => (b.lang === 'sh' || b.lang === 'bash') && b.run);
      assert.ok(runnable.length >= 20, `only ${runnable.length} runnable blocks`);
      // What the reader types in by hand: the server's address and the password printed at first start.
      // The reader runs the example app from the repository root; here the commands run in workDir.
      const text = script(runnable, {
        'http://localhost:8080': base,
        'PASTE-THE-PRINTED-PASSWORD': password,
        'node examples/cli-app/': `node '${ROOT}/examples/cli-app/'`,
      });
      // The example app keeps its files in DATA_DIR (by default inside the repository).
      const appEnv = { KH_CLI: CLI, DATA_DIR: path.join(workDir, 'cli-app') };
      const res = spawnSync('bash', ['-c', text], { cwd: workDir, env: { ...env, ...appEnv }, encoding: 'utf8', timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(res.status, 0, `${res.stderr.slice(-3000)}\n--- stdout (end) ---\n${res.stdout.slice(-3000)}`);
      // The README's tour validated its license; at the story's end the license used throughout is
      // still good, and the update check offered 1.4.0.
      assert.match(res.stdout, /^\{"valid":true,"code":"VALID"\}$/m);
      assert.match(res.stdout, /"updateAvailable":\s*true/);
    } finally {
      await stop(child);
    }
  });
});
