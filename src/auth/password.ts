import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import { createSemaphore } from '../domain/sync/semaphore.js';
import { errors } from '../errors.js';
import { SCRYPT_PREFIX, verifyScryptHash } from './scrypt-hash.js';

/**
 * Supabase Auth's hashes, so an account moves between SimpleVideo and Supabase Auth with its password: bcrypt at
 * Go's DefaultCost (10), written `$2a$` as Go's x/crypto/bcrypt writes it (bcryptjs writes `$2b$`, which computes
 * the same for passwords under 256 bytes).
 */
const BCRYPT_COST = 10;
const BCRYPT_HASH = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * bcrypt reads only a password's first 72 bytes, and Supabase Auth refuses longer passwords at signup. Ours does
 * too; a longer password never matches a bcrypt hash (it would, cut to 72 bytes, match another password's hash).
 */
export const MAX_PASSWORD_BYTES = 72;

export function passwordFitsBcrypt(password: string): boolean {
  return Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES;
}

/** A bcrypt hash in Supabase Auth's format. The caller has checked `passwordFitsBcrypt`. */
export async function hashPassword(password: string): Promise<string> {
  if (!passwordFitsBcrypt(password)) throw new RangeError(`a password to hash must fit in ${MAX_PASSWORD_BYTES} bytes`);
  const salt = (await bcrypt.genSalt(BCRYPT_COST)).replace(/^\$2b\$/, '$2a$');
  return bcrypt.hash(password, salt);
}

/** Checks a password against a bcrypt hash, or an scrypt hash of ours from before; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith(SCRYPT_PREFIX)) return verifyScryptHash(password, stored);
  if (!BCRYPT_HASH.test(stored) || !passwordFitsBcrypt(password)) return false;
  return bcrypt.compare(password, stored);
}

/**
 * Whether a stored hash, just verified, should be replaced by a bcrypt hash of the same password: scrypt hashes
 * (so Supabase Auth can read them), unless the password is too long for bcrypt (it then stays scrypt).
 */
export function needsRehash(password: string, stored: string): boolean {
  return stored.startsWith(SCRYPT_PREFIX) && passwordFitsBcrypt(password);
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a random password, made on first use rather than at start-up: login for an unknown email then spends
 * the same time as for a known one.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

/** Hashing and checking passwords, never more than `concurrency` at once. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}

/**
 * bcryptjs computes on the event loop, in slices, and scrypt on libuv's thread pool, which file reads and DNS share:
 * unbounded, a burst of sign-ins stalls every other request or download. `concurrency` hashes run at once and
 * `maxWaiting` wait; beyond that the caller gets 503.
 */
export function createPasswordHasher(options: { concurrency: number; maxWaiting: number }): PasswordHasher {
  const semaphore = createSemaphore(options.concurrency);
  const bounded = <T>(fn: () => Promise<T>): Promise<T> => {
    if (semaphore.full && semaphore.waiting >= options.maxWaiting) return Promise.reject(errors.passwordCheckBusy());
    return semaphore.run(fn);
  };
  return {
    hash: (password) => bounded(() => hashPassword(password)),
    verify: (password, stored) => bounded(() => verifyPassword(password, stored)),
  };
}
