#!/usr/bin/env node
// The JavaScript a browser downloads before the first page shows, gzipped, after `vite build`:
// the entry chunk and what it imports statically (lazy chunks, like the other face, are not counted).
// Fails when over the budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 300;
const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../dist');
const manifestFile = path.join(dist, '.vite', 'manifest.json');
let manifest;
try {
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
} catch {
  console.error(`No build manifest at ${manifestFile}: run npm run build first.`);
  process.exit(1);
}

function initialChunks(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const next of manifest[key].imports ?? []) initialChunks(next, seen);
  return seen;
}

const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
const size = (file) => gzipSync(readFileSync(path.join(dist, file))).length;
let total = 0;
for (const key of initialChunks(entry)) total += size(manifest[key].file);
const lazy = Object.entries(manifest).filter(([, chunk]) => chunk.isDynamicEntry);
const kb = (bytes) => (bytes / 1024).toFixed(1);
console.log(`Initial JS (gzipped): ${kb(total)} KB (budget ${BUDGET_KB} KB)`);
for (const [key, chunk] of lazy) console.log(`  lazy ${path.basename(key)}: ${kb(size(chunk.file))} KB gzipped`);
if (total > BUDGET_KB * 1024) {
  console.error(`Over budget by ${kb(total - BUDGET_KB * 1024)} KB.`);
  process.exit(1);
}
