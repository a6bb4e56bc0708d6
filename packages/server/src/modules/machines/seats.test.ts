import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAlive, isBorrowed } from './seats.js';

const now = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms).toISOString();

test('the seat rule: node-locked, a live lease, or a borrowed seat holds; a lapsed lease with no file out does not', () => {
  assert.equal(isAlive({ leaseExpiresAt: null, borrowedUntil: null }, now), true, 'node-locked');
  assert.equal(isAlive({ leaseExpiresAt: at(1), borrowedUntil: null }, now), true, 'live lease');
  assert.equal(isAlive({ leaseExpiresAt: at(0), borrowedUntil: null }, now), false, 'the lease ends at its instant');
  assert.equal(isAlive({ leaseExpiresAt: at(-1), borrowedUntil: at(7 * 86_400_000) }, now), true, 'lapsed lease, file out');
  assert.equal(isAlive({ leaseExpiresAt: at(-1), borrowedUntil: at(0) }, now), false, 'lapsed lease, file expired');
  assert.equal(isBorrowed({ borrowedUntil: at(1) }, now), true);
  assert.equal(isBorrowed({ borrowedUntil: at(0) }, now), false);
  assert.equal(isBorrowed({ borrowedUntil: null }, now), false);
});
