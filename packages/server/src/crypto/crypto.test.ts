import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Keyring, loadMasterKey } from './keyring.js';

describe('keyring', () => {
  const keyring = new Keyring(randomBytes(32));
  test('digests are keyed and separated by purpose', () => {
    const other = new Keyring(randomBytes(32));
    assert.equal(keyring.digest('license-key', 'ABC'), keyring.digest('license-key', 'ABC'));
    assert.notEqual(keyring.digest('license-key', 'ABC'), keyring.digest('api-token', 'ABC'));
    assert.notEqual(keyring.digest('license-key', 'ABC'), other.digest('license-key', 'ABC'));
  });
  test('AES-256-GCM round trip; tampering and a wrong purpose are refused', () => {
    const sealed = keyring.encrypt('license-key', 'SECRET-VALUE');
    assert.ok(!sealed.includes('SECRET'));
    assert.notEqual(sealed, keyring.encrypt('license-key', 'SECRET-VALUE'), 'a fresh IV every time');
    assert.equal(keyring.decrypt('license-key', sealed).toString(), 'SECRET-VALUE');
    assert.throws(() => keyring.decrypt('signing-key', sealed));
    const [v, iv, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    assert.throws(() => keyring.decrypt('license-key', `${v}.${iv}.${flipped.toString('base64url')}`));
  });
  test('the master key file is created once with mode 0600 and read back', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'kh-master-')), 'sub', 'master.key');
    const [a, b] = await Promise.all([loadMasterKey({ source: 'file', file }), loadMasterKey({ source: 'file', file })]);
    assert.equal([a, b].filter((r) => r.created).length, 1, 'exactly one creator');
    assert.deepEqual(a.key, b.key);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
    const again = await loadMasterKey({ source: 'file', file });
    assert.equal(again.created, false);
    assert.deepEqual(again.key, a.key);
  });
});
