import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Db } from '../db/database.js';
import { isUniqueViolation, toIso } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { StartupError } from '../config.js';
import type { Keyring } from './keyring.js';

/** The instance's Ed25519 key: signs client answers, license files and release manifests. */
export class Signer {
  readonly publicKeyRaw: Buffer;
  readonly publicKeyPem: string;

  constructor(
    readonly keyId: string,
    private readonly privateKey: KeyObject,
    publicKey: KeyObject,
    readonly createdAt: string,
  ) {
    const jwk = publicKey.export({ format: 'jwk' });
    this.publicKeyRaw = Buffer.from(jwk.x!, 'base64url');
    this.publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }

  /** Base64 Ed25519 signature of `data`. */
  sign(data: string | Buffer): string {
    return sign(null, typeof data === 'string' ? Buffer.from(data) : data, this.privateKey).toString('base64');
  }
}

/** A key id derived from the public key, so anyone holding the key can check which one it is. */
export function keyIdOf(publicKeyRaw: Buffer): string {
  return 'ed25519-' + createHash('sha256').update(publicKeyRaw).digest('hex').slice(0, 16);
}

/**
 * Loads the current signing key, creating it on first start. The private half is stored only as
 * AES-256-GCM ciphertext under the master key. Processes racing at first start agree through the unique
 * `slot` column: the loser reads the winner's key.
 */
export async function loadSigner(db: Db, keyring: Keyring, clock: Clock): Promise<Signer> {
  const existing = await db.selectFrom('signing_keys').selectAll().where('slot', '=', 'current').executeTakeFirst();
  if (existing) {
    let der: Buffer;
    try {
      der = keyring.decrypt('signing-key', existing.private_key_ciphertext);
    } catch {
      throw new StartupError(
        'The master key does not match this database: the signing key cannot be decrypted. ' +
          'Start with the master key this database was created with (KEYHAVEN_MASTER_KEY or the master.key file from its backup).',
      );
    }
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return new Signer(existing.id, privateKey, createPublicKey(privateKey), toIso(existing.created_at));
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const id = keyIdOf(raw);
  const createdAt = clock.now().toISOString();
  try {
    await db
      .insertInto('signing_keys')
      .values({
        id,
        slot: 'current',
        algorithm: 'ed25519',
        public_key: raw.toString('base64'),
        private_key_ciphertext: keyring.encrypt('signing-key', privateKey.export({ format: 'der', type: 'pkcs8' })),
        created_at: createdAt,
      })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) return loadSigner(db, keyring, clock);
    throw error;
  }
  return new Signer(id, privateKey, publicKey, createdAt);
}
