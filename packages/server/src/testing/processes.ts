import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from './harness.js';

/** The built command; `npm test` builds it first. */
export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Runs `keyhaven <args>` as a real process; resolves its exit code and output. */
export function run(env: NodeJS.ProcessEnv, ...args: string[]) {
  const res = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
export function runJson(env: NodeJS.ProcessEnv, ...args: string[]): any {
  const res = run(env, ...args);
  assert.equal(res.code, 0, `keyhaven ${args.join(' ')} failed: ${res.stderr}`);
  return JSON.parse(res.stdout);
}

/** Starts `keyhaven serve` and resolves once it printed its banner. */
export async function serve(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Keyhaven is running') && /\n\n$/.test(out)) {
        clearTimeout(timer);
        resolve({ child, banner: out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

export async function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}


/**
 * Two `keyhaven serve` processes on one fresh PostgreSQL database, for tests of limits that must hold
 * across processes (seats, quotas). `call` sends JSON to either with the admin token unless `auth` is
 * false; `close` stops both (each must exit 0) and drops the database.
 */
export async function twoServersOnPostgres(env: NodeJS.ProcessEnv = {}) {
  const db = await createTestDatabase('postgres');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'keyhaven-multi-'));
  const token = 'multi-process-admin-token';
  const base = {
    PATH: process.env.PATH,
    DATABASE_URL: (db.config as { url: string }).url,
    KEYHAVEN_MASTER_KEY: randomBytes(32).toString('base64'),
    KEYHAVEN_ADMIN_TOKEN: token,
    KEYHAVEN_DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...env,
  };
  const servers: ChildProcess[] = [];
  const close = async () => {
    try {
      for (const child of servers) assert.equal(await stop(child), 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await db.drop();
    }
  };
  try {
    const ports = [await freePort(), await freePort()];
    for (const port of ports) servers.push((await serve({ ...base, PORT: String(port) })).child);
    const [a, b] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
    const call = async (method: string, url: string, body?: unknown, auth = true) => {
      const res = await fetch(url, {
        method,
        headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    return { a, b, call, close };
  } catch (error) {
    await close();
    throw error;
  }
}
