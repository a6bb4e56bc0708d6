import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ES module script without type declarations.
import { CONTRACT_FILES, renderContracts } from './contracts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

test('the generated contracts are what scripts/contracts.mjs writes from the built server (run `npm run contracts` after changing a schema)', async () => {
  const files: Record<string, string> = await renderContracts();
  assert.deepEqual(Object.keys(files).sort(), Object.values<string>(CONTRACT_FILES).sort());
  for (const [file, text] of Object.entries(files)) {
    assert.equal(readFileSync(path.join(root, file), 'utf8'), text, `${file} is out of date: run npm run contracts (or npm run build) and commit it`);
  }
});

test('the generated SDK contract holds only the client operations, and no runtime code', async () => {
  const sdk = readFileSync(path.join(root, CONTRACT_FILES.sdk), 'utf8');
  assert.match(sdk, /"\/v1\/licenses\/validate"/);
  assert.doesNotMatch(sdk, /"\/v1\/auth\/me"/, 'console operations stay out of the SDK');
  assert.doesNotMatch(sdk, /^\s*(import|export (const|function|class|default))\b/m, 'types only: the SDK keeps zero runtime dependencies');
});
