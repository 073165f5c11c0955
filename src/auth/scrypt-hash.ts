import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * The hashes our signup wrote before it wrote bcrypt: `scrypt$N$r$p$salt$hash`, base64url parts, over the
 * password's NFKC form. Only checked now, never made: an account that signs in with one gets a bcrypt hash instead.
 */
export const SCRYPT_PREFIX = 'scrypt$';

const KEY_LENGTH = 32;
// We only ever wrote N=2^15, r=8 (32 MiB); twice that leaves room without letting a row ask for more.
const MAX_MEMORY = 64 * 1024 * 1024;

/** The derived key, or null for parameters scrypt refuses (it throws for some, calls back with an error for others). */
function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer | null> {
  return new Promise((resolve) => {
    try {
      scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, params, (err, key) => resolve(err ? null : key));
    } catch {
      resolve(null);
    }
  });
}

/** Compares in constant time; a malformed stored hash never matches. */
export async function verifyScryptHash(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (`${scheme}$` !== SCRYPT_PREFIX || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: MAX_MEMORY });
  return key !== null && key.length === expected.length && timingSafeEqual(key, expected);
}
