// Reads a V8 CPU profile (node --cpu-prof) and says where the time went: self time per function and per
// area (the package or source directory a function lives in), in % of the sampled time and µs per
// request. Used by suites that miss a throughput target, so that the report names the cost, not a guess.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { root } from './harness.mjs';

/** Where a function lives: a package (node_modules/<name>), a server source directory, node's own code, or V8. */
function areaOf(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)' || functionName === '(program)') return functionName;
    return 'native (V8 builtins, C++ bindings)';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, -1).join('/') || url.slice(5)}`;
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  // The driver runs a statement inside the JS function that calls it: kysely's driver (better-sqlite3), or
  // the node:sqlite adapter in the server's db/sqlite.js.
  if (functionName === 'executeQuery' && /kysely\/dist\/\w+\/dialect\/sqlite\//.test(file)) return 'SQLite statements (better-sqlite3, called by kysely)';
  if (/packages\/server\/dist\/db\/sqlite\.js$/.test(file)) return 'SQLite statements (node:sqlite adapter)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  const rel = path.relative(root, file);
  const server = /^packages\/server\/dist\/(.+)$/.exec(rel);
  if (server) {
    const parts = server[1].split('/');
    return `server ${parts.length > 2 ? parts.slice(0, 2).join('/') : parts[0]}`;
  }
  return rel.startsWith('..') ? file : rel;
}

/**
 * Self time of a profile by function and by area, counting only the samples taken between `fromMs` and
 * `toMs` after the profile started (the load, not the start-up). `requests`: requests answered then, to
 * give µs per request. Returns { sampledMs, busyMs, byArea, byFunction, serverInclusive }, each a list of
 * { name, pct (of the busy time), usPerRequest }.
 */
export function summarizeCpuProfile(file, { requests, fromMs = 0, toMs = Infinity, top = 12 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    if (elapsedUs < fromMs * 1000 || elapsedUs > toMs * 1000) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byArea = new Map();
  const byFunction = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = nodes.get(id);
    totalUs += us;
    const area = areaOf(callFrame.url, callFrame.functionName);
    if (area === '(idle)') {
      idleUs += us;
      continue;
    }
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const file = callFrame.url.startsWith('node:') ? callFrame.url : path.basename(callFrame.url);
    const fn = callFrame.url ? `${callFrame.functionName || '(anonymous)'} (${file}:${callFrame.lineNumber + 1})` : callFrame.functionName;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  // Inclusive time of the server's own functions: a sample counts for every server function on its stack
  // (once each). Only the synchronous part of an async function is on a stack; its awaits are not.
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const inclusive = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const { callFrame } = nodes.get(at);
      const area = areaOf(callFrame.url, callFrame.functionName);
      if (!area.startsWith('server ')) continue;
      const fn = `${callFrame.functionName || '(anonymous)'} (${area.slice(7)}/${path.basename(callFrame.url)})`;
      if (seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const rows = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, pct: Math.round((us / busyUs) * 1000) / 10, usPerRequest: requests ? Math.round((us / requests) * 10) / 10 : undefined }));
  return { sampledMs: Math.round(totalUs / 1000), busyMs: Math.round(busyUs / 1000), byArea: rows(byArea), byFunction: rows(byFunction), serverInclusive: rows(inclusive) };
}
