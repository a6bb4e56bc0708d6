import { hash, verify } from '@node-rs/argon2';

// Password hashing for the whole server. Other modules reach it through PasswordsService (passwords.service.ts).

/** argon2id with the library's defaults (19 MiB, t=2), the OWASP baseline. */
export async function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2 });
}

// Verified against when the account does not exist, so timing does not reveal which e-mails exist.
let dummyHash: Promise<string> | undefined;

export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (storedHash === null) {
    dummyHash ??= hashPassword('keyhaven-timing-equalizer');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}
