import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { createSemaphore } from '../domain/sync/semaphore.js';
import { errors } from '../errors.js';

// OWASP's scrypt minimum (N=2^17, r=8, p=1) costs ~128 MiB and ~300 ms per hash here; 2^15 keeps signup and login
// responsive under load while staying well above brute-force comfort for salted hashes.
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, params, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, base64url parts: self-describing, so parameters can rise later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Compares in constant time; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: PARAMS.maxmem });
  return key.length === expected.length && timingSafeEqual(key, expected);
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
 * scrypt runs on libuv's thread pool (4 threads), which file reads and DNS share: unbounded, a burst of sign-ins
 * stalls every download. `concurrency` hashes run at once and `maxWaiting` wait; beyond that the caller gets 503.
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
