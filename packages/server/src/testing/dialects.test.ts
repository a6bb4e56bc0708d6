import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachDialect, testDialects } from './dialects.js';

// Also the target of runner.test.ts, which runs it through scripts/test.mjs: keep it small and fast.
forEachDialect('forEachDialect', (dialect) => {
  test(`the suite declared for ${dialect} runs because ${dialect} is in this run`, () => {
    assert.ok(testDialects().includes(dialect));
  });
});
