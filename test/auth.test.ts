import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { AUTH_RATE_LIMIT: '1000' } });
});
afterAll(() => t.close());

const password = 'correct horse battery';
const key = new TextEncoder().encode(TEST_JWT_SECRET);

async function supabaseToken(claims: Record<string, unknown>, options: { secret?: Uint8Array; expiresIn?: string | number } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h')
    .sign(options.secret ?? key);
}

const me = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/auth/me', headers });

describe('signup', () => {
  it('creates the account, sets an httpOnly SameSite=Lax cookie and returns a bearer token', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'New.User@Example.com', password } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ user: { email: 'new.user@example.com' }, token_type: 'bearer', expires_in: 3600 });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^sv_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await me({ authorization: `Bearer ${body.access_token}` })).json()).toEqual({ user: { ...body.user, email_confirmed: false } });
  });

  it.each([
    [{ email: 'not-an-email', password }, 'email'],
    [{ email: 'short@example.com', password: 'short' }, 'password'],
    [{ email: 'missing@example.com' }, 'password'],
    [{}, 'email'],
  ])('refuses bad input with 400 (%#)', async (payload, field) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_error' });
    expect(res.json().error).toContain(field);
  });

  it('refuses a taken email with 409, whatever its case', async () => {
    await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'taken@example.com', password } });
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: 'TAKEN@example.com', password } });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: 'Email already registered', code: 'email_taken' });
  });
});

describe('login and logout', () => {
  it('answers a wrong password and an unknown email with the same 401', async () => {
    const user = await t.signUp();
    const wrong = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: 'wrong password' } });
    const unknown = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
  });

  it('logs in with the right password and logs out by clearing the cookie', async () => {
    const user = await t.signUp();
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password } });
    expect(res.statusCode).toBe(200);
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    expect((await me({ cookie })).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/sv_session=;/);
  });
});

describe('tokens', () => {
  it('accepts a Supabase-shaped token signed with the configured secret only when it names a live session of ours', async () => {
    const user = await t.signUp();
    const claims = { sub: user.id, email: user.email, role: 'authenticated', aud: 'authenticated' };
    const { session_id: live } = decodeJwt(user.token);
    expect((await me({ authorization: `Bearer ${await supabaseToken({ ...claims, session_id: live })}` })).statusCode).toBe(200);
    // No session (a token from before sessions, or another issuer's with the same secret), or one not ours.
    for (const token of [await supabaseToken(claims), await supabaseToken({ ...claims, session_id: randomUUID() })]) {
      expect((await me({ authorization: `Bearer ${token}` })).statusCode).toBe(401);
    }
  });

  it.each([
    ['expired', async (id: string) => supabaseToken({ sub: id, email: 'x@e.com', role: 'authenticated', aud: 'authenticated' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['signed with another secret', async (id: string) => supabaseToken({ sub: id, email: 'x@e.com', role: 'authenticated', aud: 'authenticated' }, { secret: new TextEncoder().encode('another-secret-another-secret-0000') })],
    ['alg none', async (id: string) => new UnsecuredJWT({ sub: id, email: 'x@e.com', role: 'authenticated', aud: 'authenticated' }).setExpirationTime('1h').encode()],
    ['service_role claims', async (id: string) => supabaseToken({ sub: id, email: 'x@e.com', role: 'service_role', aud: 'authenticated' })],
    ['anon audience', async (id: string) => supabaseToken({ sub: id, email: 'x@e.com', role: 'authenticated', aud: 'anon' })],
    ['tampered payload', async (id: string) => {
      const token = await supabaseToken({ sub: id, email: 'x@e.com', role: 'authenticated', aud: 'authenticated' });
      const [h, , s] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ sub: '00000000-0000-0000-0000-000000000000', email: 'x@e.com', role: 'authenticated', aud: 'authenticated', exp: 9999999999 })).toString('base64url');
      return `${h}.${forged}.${s}`;
    }],
    ['garbage', async () => 'not.a.token'],
  ])('refuses a token that is %s with the contract 401', async (_name, make) => {
    const user = await t.signUp();
    const res = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: { authorization: `Bearer ${await make(user.id)}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
  });

  it('answers 401 without a token', async () => {
    for (const url of ['/api/auth/me', '/api/user/fetch-credit', '/api/user/fetch-subscription', '/api/user/fetch-creation']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error).toBe('Unauthorized');
    }
  });
});

describe('cross-site requests', () => {
  it('refuses a cookie-authenticated state change from a foreign origin, but not a bearer one', async () => {
    const user = await t.signUp();
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const payload = { prompt: 'a fox' };
    const foreign = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: { cookie, origin: 'https://evil.example' }, payload });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('forbidden_origin');
    const crossSite = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: { cookie, 'sec-fetch-site': 'cross-site' }, payload });
    expect(crossSite.statusCode).toBe(403);
    const credits = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: user.auth });
    expect(credits.json().credits_balance).toBe(10);
    const sameOrigin = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: { cookie, origin: 'http://localhost:80', host: 'localhost:80' }, payload });
    expect(sameOrigin.statusCode).toBe(200);
  });
});

describe('rate limits', () => {
  it('limits signup and login attempts per IP', async () => {
    const limited = await createTestApp({ env: { AUTH_RATE_LIMIT: '3' } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await limited.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password }, remoteAddress: '10.1.1.1' });
        codes.push(res.statusCode);
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const other = await limited.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password }, remoteAddress: '10.1.1.2' });
      expect(other.statusCode).toBe(401);
    } finally {
      await limited.close();
    }
  });
});
