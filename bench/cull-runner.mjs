// One timed removal of lapsed floating leases for `npm run bench` suite cull, run as its own process
// pinned to the server core, on the database named by the environment (the server's own settings:
// KEYHAVEN_DATA_DIR or DATABASE_URL, KEYHAVEN_MASTER_KEY).
//
//   node bench/cull-runner.mjs cull   MachinesService.cull() as `keyhaven serve` runs it every minute,
//                                     with the services wired exactly as the server wires them
//   node bench/cull-runner.mjs raw    the baseline: one bare `DELETE FROM machines WHERE lease_expires_at
//                                     <= <now - 24 h>` through the same database handle
//
// Prints `RESULT {"ms":..., "freed":...}`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (rel) => pathToFileURL(path.join(root, 'packages/server/dist', rel)).href;
const { loadConfig } = await import(dist('config.js'));
const { openRuntime } = await import(dist('runtime.js'));
const { createServices } = await import(dist('services.js'));
const { LAPSED_LEASE_KEEP_MS } = await import(dist('modules/machines/machines.service.js'));

const mode = process.argv[2];
if (mode !== 'cull' && mode !== 'raw') throw new Error('usage: cull-runner.mjs cull|raw');

const runtime = await openRuntime(loadConfig(process.env));
const services = createServices(runtime);
const { db } = runtime.database;
try {
  const started = performance.now();
  let freed;
  if (mode === 'cull') {
    freed = await services.machines.cull();
  } else {
    const cutoff = new Date(runtime.clock.now().getTime() - LAPSED_LEASE_KEEP_MS).toISOString();
    freed = Number((await db.deleteFrom('machines').where('lease_expires_at', '<=', cutoff).executeTakeFirst()).numDeletedRows);
  }
  const ms = performance.now() - started;
  process.stdout.write(`RESULT ${JSON.stringify({ ms, freed })}\n`);
} finally {
  await runtime.database.close();
}
