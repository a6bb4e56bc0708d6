#!/usr/bin/env node
// Writes the configuration reference (docs/configuration.md) from the SETTINGS table of
// packages/server/src/config.ts; only the part between the generated:config markers changes.
// config-docs.test.ts fails when the file differs from what this writes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { CONFIG_DOCS_FILE, renderConfigDoc } = await tsImport('../packages/server/src/config-docs.ts', import.meta.url);
const file = path.join(root, CONFIG_DOCS_FILE);
const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
const next = renderConfigDoc(current);
if (next === current) {
  console.log(`${CONFIG_DOCS_FILE} is up to date.`);
} else {
  writeFileSync(file, next);
  console.log(`Wrote ${CONFIG_DOCS_FILE}.`);
}
