import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';

const SECRET_VERSION = 'v1';

/**
 * Keys derived from the instance's master key. The master key itself is never stored in the database:
 * losing it makes every encrypted secret (license keys, the signing key) unreadable and every digest
 * unmatchable, so it must be backed up beside the database backups.
 *
 * - `digest()` is a keyed HMAC-SHA256 used to look secrets up (license keys, API tokens, sessions)
 *   without storing them; an attacker with a database dump cannot test guesses offline.
 * - `encrypt()`/`decrypt()` use AES-256-GCM with a random 96-bit IV and the purpose as associated data,
 *   so a ciphertext cannot be moved from one column to another.
 */
export class Keyring {
  private readonly lookupKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
    this.lookupKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'keyhaven/lookup/v1', 32));
    this.encryptionKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'keyhaven/encrypt/v1', 32));
  }

  /** Hex HMAC-SHA256 of `value`, separated by `purpose` so the same value digests differently per use. */
  digest(purpose: string, value: string): string {
    return createHmac('sha256', this.lookupKey).update(purpose).update('\0').update(value).digest('hex');
  }

  encrypt(purpose: string, plaintext: string | Buffer): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return `${SECRET_VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  decrypt(purpose: string, sealed: string): Buffer {
    const [version, ivText, bodyText] = sealed.split('.');
    if (version !== SECRET_VERSION || !ivText || !bodyText) throw new Error('unknown secret format');
    const body = Buffer.from(bodyText, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]);
  }
}

/**
 * Loads the master key named by the configuration. With a key file, the file is created on first start
 * (exclusively, mode 0600) so two processes starting together agree on one key.
 */
export async function loadMasterKey(source: Config['masterKey']): Promise<{ key: Buffer; created: boolean; file?: string }> {
  if (source.source === 'env') return { key: source.value, created: false };
  const file = source.file;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(file, 'wx', 0o600);
    const key = randomBytes(32);
    await handle.writeFile(key.toString('base64') + '\n');
    await handle.sync();
    await handle.close();
    return { key, created: true, file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) {
    process.emitWarning(`master key file ${file} is readable by other users; run: chmod 600 ${file}`);
  }
  const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  if (key.length !== 32) throw new Error(`master key file ${file} does not hold 32 bytes of base64`);
  return { key, created: false, file };
}
