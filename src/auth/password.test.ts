import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createPasswordHasher, dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './password.js';

const PASSWORD = 'correct horse battery';
/** Made with bcryptjs at cost 10 with a `$2a$` salt: what Supabase Auth (Go's x/crypto/bcrypt) writes for PASSWORD. */
const SUPABASE_HASH = '$2a$10$Lp7NL1YYztFR8FBZ2yucvOr.C.LUQnWj1nr5A6iaVn.vj8t/WptAq';
/** What our signup wrote for PASSWORD before bcrypt. */
const SCRYPT_HASH = 'scrypt$32768$8$1$1rYmHq099WPz1lVqgCKAag$xB7n9-zGc2kNZAUxmc9EytghFWdcoT4CT7pJy8pyi1E';
const SUPABASE_FORMAT = /^\$2a\$10\$[./A-Za-z0-9]{53}$/;

describe('password hashes', () => {
  it('are bcrypt in Supabase Auth’s format, which bcrypt implementations other than ours read', async () => {
    const stored = await hashPassword(PASSWORD);
    expect(stored).toMatch(SUPABASE_FORMAT);
    expect(await bcrypt.compare(PASSWORD, stored)).toBe(true);
    // PostgreSQL's pgcrypto (OpenBSD's bcrypt, as in a Supabase database): crypt(password, hash) gives the hash back.
    const pg = await PGlite.create({ extensions: { pgcrypto } });
    try {
      await pg.exec('create extension pgcrypto');
      const { rows } = await pg.query<{ ok: boolean }>('select crypt($1, $2) = $2 as ok', [PASSWORD, stored]);
      expect(rows[0]!.ok).toBe(true);
    } finally {
      await pg.close();
    }
  }, 30_000);

  it('verify Supabase Auth’s hashes and our older scrypt ones, and nothing else', async () => {
    expect(await verifyPassword(PASSWORD, SUPABASE_HASH)).toBe(true);
    expect(await verifyPassword(PASSWORD, SCRYPT_HASH)).toBe(true);
    for (const stored of [SUPABASE_HASH, SCRYPT_HASH]) expect(await verifyPassword('wrong password', stored)).toBe(false);
    for (const malformed of ['', 'plain text', '$2a$10$short', 'scrypt$3$8$1$c2FsdA$aGFzaA', SUPABASE_HASH.slice(0, -1)]) {
      expect(await verifyPassword(PASSWORD, malformed)).toBe(false);
    }
  });

  it('never let a password over 72 bytes match by its first 72, and refuse to hash one', async () => {
    const fits = 'x'.repeat(72);
    const stored = await hashPassword(fits);
    expect(await verifyPassword(fits, stored)).toBe(true);
    expect(await bcrypt.compare(`${fits}y`, stored)).toBe(true); // what bcrypt alone would do
    expect(await verifyPassword(`${fits}y`, stored)).toBe(false);
    await expect(hashPassword(`${fits}y`)).rejects.toThrow(RangeError);
    await expect(hashPassword('é'.repeat(37))).rejects.toThrow(RangeError);
  });

  it('upgrade scrypt hashes to bcrypt, unless the password is too long for bcrypt', () => {
    expect(needsRehash(PASSWORD, SCRYPT_HASH)).toBe(true);
    expect(needsRehash('x'.repeat(73), SCRYPT_HASH)).toBe(false);
    expect(needsRehash(PASSWORD, SUPABASE_HASH)).toBe(false);
  });

  it('check unknown emails against a bcrypt hash of the same cost, so they take as long', async () => {
    expect(await dummyPasswordHash()).toMatch(SUPABASE_FORMAT);
  });
});

describe('createPasswordHasher', () => {
  it('hashes and verifies as the plain functions do', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 4 });
    const stored = await hasher.hash(PASSWORD);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    expect(await hasher.verify(PASSWORD, await hashPassword(PASSWORD))).toBe(true);
    expect(await hasher.verify(PASSWORD, SCRYPT_HASH)).toBe(true);
    expect(await hasher.verify('wrong', stored)).toBe(false);
  });

  it('runs at most `concurrency` at once and answers 503 past `maxWaiting` waiters', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 2 });
    const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => hasher.hash(`password ${i}`)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    const refused = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason] : []));
    expect(refused).toHaveLength(2);
    for (const error of refused) expect(error).toMatchObject({ status: 503, code: 'auth_busy' } satisfies Partial<AppError>);
  });

  it('with no room to wait, still runs while a slot is free', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, maxWaiting: 0 });
    expect(await hasher.verify('x', await hasher.hash('x'))).toBe(true);
  });
});
