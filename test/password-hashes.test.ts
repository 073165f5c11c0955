import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../src/db/queries/users.js';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * Passwords are kept as Supabase Auth keeps them (`$2a$10$…` bcrypt in auth.users.encrypted_password), so an
 * account moves between SimpleVideo and Supabase Auth with its password; our older scrypt hashes still sign in, and
 * are replaced by bcrypt when they do.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const PASSWORD = 'correct horse battery';
/** Made with bcryptjs at cost 10 with a `$2a$` salt: what Supabase Auth (Go's x/crypto/bcrypt) writes for PASSWORD. */
const SUPABASE_HASH = '$2a$10$Lp7NL1YYztFR8FBZ2yucvOr.C.LUQnWj1nr5A6iaVn.vj8t/WptAq';
/** What our signup wrote for PASSWORD before bcrypt (N=2^15, r=8, p=1). */
const SCRYPT_HASH = 'scrypt$32768$8$1$1rYmHq099WPz1lVqgCKAag$xB7n9-zGc2kNZAUxmc9EytghFWdcoT4CT7pJy8pyi1E';

const email = () => `hash-${randomUUID().slice(0, 8)}@example.com`;
const logIn = (address: string, password = PASSWORD) => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: address, password } });
const storedHash = async (address: string) =>
  (await t.deps.db.query<{ h: string }>('select encrypted_password as h from auth.users where email = $1', [address])).rows[0]!.h;

describe('password hashes in Supabase Auth’s format', () => {
  it('signup stores $2a$10$ bcrypt, which bcrypt reads as Supabase Auth would', async () => {
    const address = email();
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: address, password: PASSWORD } })).statusCode).toBe(201);
    const hash = await storedHash(address);
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(await bcrypt.compare(PASSWORD, hash)).toBe(true);
    expect(await bcrypt.compare('wrong password', hash)).toBe(false);
  });

  it('signs in an account whose hash Supabase Auth made', async () => {
    const address = email();
    await insertUser(t.deps.db, { email: address, encryptedPassword: SUPABASE_HASH });
    expect((await logIn(address)).statusCode).toBe(200);
    expect((await logIn(address, 'wrong password')).statusCode).toBe(401);
    expect(await storedHash(address)).toBe(SUPABASE_HASH);
  });

  it('signs in an account with an scrypt hash of ours and replaces it with bcrypt', async () => {
    const address = email();
    await insertUser(t.deps.db, { email: address, encryptedPassword: SCRYPT_HASH });
    expect((await logIn(address, 'wrong password')).statusCode).toBe(401);
    expect(await storedHash(address)).toBe(SCRYPT_HASH);
    expect((await logIn(address)).statusCode).toBe(200);
    const upgraded = await storedHash(address);
    expect(upgraded).toMatch(/^\$2a\$10\$/);
    expect(await bcrypt.compare(PASSWORD, upgraded)).toBe(true);
    expect((await logIn(address)).statusCode).toBe(200);
  });

  it('refuses a signup password over 72 bytes (Supabase Auth’s and bcrypt’s limit), counting UTF-8 bytes', async () => {
    const signUp = (password: string) => t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: email(), password } });
    expect((await signUp('a'.repeat(72))).statusCode).toBe(201);
    expect((await signUp('é'.repeat(36))).statusCode).toBe(201);
    for (const password of ['a'.repeat(73), 'é'.repeat(37)]) {
      const res = await signUp(password);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_error', error: expect.stringContaining('72 bytes') });
    }
  });

  it('never matches a longer password by its first 72 bytes, as bcrypt alone would', async () => {
    const address = email();
    const password = 'b'.repeat(72);
    await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: address, password } });
    expect((await logIn(address, password)).statusCode).toBe(200);
    expect((await logIn(address, `${password}anything`)).statusCode).toBe(401);
  });
});
