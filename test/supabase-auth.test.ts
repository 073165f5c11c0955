import { randomUUID } from 'node:crypto';
import { createServerClient } from '@supabase/ssr';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './helpers/app.js';
import { insertAuthUser } from './helpers/auth-users.js';
import { createSigningKey, signInSession, signWith, startSupabaseAuth, supabaseClaims, type SigningKey, type SupabaseAuthStandIn, type SupabaseUser } from './helpers/supabase-auth.js';

/**
 * Supabase Auth as the identity provider, end to end: the app built with SUPABASE_URL pointing at a stand-in of
 * the project's Auth on loopback (its JWKS, its password grant), users created in auth.users as Supabase Auth
 * creates them, and the session cookie written by the real @supabase/ssr.
 */
let auth: SupabaseAuthStandIn;
let key: SigningKey;
let t: TestApp;
beforeAll(async () => {
  key = await createSigningKey('ES256');
  auth = await startSupabaseAuth([key]);
  t = await createTestApp({ env: { SUPABASE_URL: auth.url } });
});
afterAll(async () => {
  await t?.close();
  await auth?.close();
});

const COOKIE = 'sb-127-auth-token';

async function supabaseUser(overrides: Partial<SupabaseUser> = {}): Promise<{ user: SupabaseUser; token: string }> {
  const user = { id: randomUUID(), email: `sb-${randomUUID().slice(0, 8)}@example.com`, ...overrides };
  await insertAuthUser(t.testDb, user);
  return { user, token: await signWith(key, supabaseClaims(auth.url, user)) };
}

/**
 * supabase-js builds its realtime client eagerly and wants a WebSocket constructor. Node 22+ has one, and supabase-js
 * finds it itself; Node 20 (past its end of life, still run) lacks it, so there a constructor that refuses stands in
 * (typed as the one it replaces): these tests never open a socket.
 */
const NoWebSocket = class {
  constructor() {
    throw new Error('realtime is not used in these tests');
  }
} as unknown as typeof globalThis.WebSocket;
const realtimeOptions = typeof globalThis.WebSocket === 'function' ? {} : { transport: NoWebSocket };

/** Signs in through @supabase/ssr's server client against the stand-in; returns the cookies it set. */
async function signInWithSupabaseSsr(user: SupabaseUser, token: string): Promise<Array<{ name: string; value: string }>> {
  const written: Array<{ name: string; value: string }> = [];
  const supabase = createServerClient(auth.url, 'anon-key-of-the-project', {
    realtime: realtimeOptions,
    cookies: { getAll: () => [], setAll: (cookies: Array<{ name: string; value: string }>) => void written.push(...cookies.map(({ name, value }) => ({ name, value }))) },
  });
  auth.sessionForSignIn = signInSession(token, user);
  const { error } = await supabase.auth.signInWithPassword({ email: user.email, password: 'correct horse battery' });
  expect(error).toBeNull();
  return written;
}

const cookieHeader = (cookies: Array<{ name: string; value: string }>) => cookies.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; ');

/** The signed-in journey: who am I, credits, a generation, my creations, and the task among the latest videos. */
async function journey(headers: Record<string, string>, user: SupabaseUser) {
  const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers });
  expect(me.statusCode, me.body).toBe(200);
  // Supabase Auth confirmed the address (email_confirmed_at), and we read it there.
  expect(me.json()).toEqual({ user: { id: user.id, email: user.email, email_confirmed: true } });

  const credit = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers });
  expect(credit.statusCode, credit.body).toBe(200);
  expect(credit.json()).toMatchObject({ user_id: user.id, credits_balance: 10 });

  const generation = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers, payload: { prompt: `A fox for ${user.id}` } });
  expect(generation.statusCode, generation.body).toBe(200);
  const taskId = generation.json<{ taskId: number }>().taskId;

  const creations = await t.app.inject({ method: 'GET', url: '/api/user/fetch-creation', headers });
  expect(creations.statusCode, creations.body).toBe(200);
  expect(JSON.stringify(creations.json())).toContain(`A fox for ${user.id}`);

  t.clock.advance(6_000);
  expect((await t.app.inject({ method: 'GET', url: '/api/check-video-status' })).statusCode).toBe(200);
  const latest = await t.app.inject({ method: 'GET', url: '/api/videos/latest' });
  expect(latest.statusCode).toBe(200);
  expect(latest.json().map((v: { id: string }) => v.id)).toContain(String(taskId));
}

describe('with SUPABASE_URL, identity is Supabase Auth', () => {
  it('serves a Supabase user by Bearer token', async () => {
    const { user, token } = await supabaseUser();
    await journey({ authorization: `Bearer ${token}` }, user);
  });

  it('serves a Supabase user by the chunked sb-<ref>-auth-token cookie that @supabase/ssr writes', async () => {
    // Long metadata, as in the token and in the session's user: the cookie outgrows one chunk (3180 characters).
    const { user, token } = await supabaseUser({ userMetadata: { full_name: 'Ada Lovelace', bio: 'x'.repeat(1500) } });
    const cookies = await signInWithSupabaseSsr(user, token);
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    expect(cookies.map((c) => c.name)).toEqual(cookies.map((_c, i) => `${COOKIE}.${i}`));
    expect(cookies[0]!.value).toMatch(/^base64-/);
    await journey({ cookie: cookieHeader(cookies) }, user);
  });

  it('reads an unchunked cookie too, and refuses a cross-site state change made with it', async () => {
    const { user, token } = await supabaseUser();
    const cookies = await signInWithSupabaseSsr(user, token);
    expect(cookies.map((c) => c.name)).toEqual([COOKIE]);
    const cookie = cookieHeader(cookies);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(200);
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: { cookie, ...headers }, payload: { prompt: 'a fox' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden_origin');
    }
  });

  it.each([
    ['garbage', 'base64-%%%'],
    ['JSON without a token', JSON.stringify({ refresh_token: 'r' })],
    ['a token of an unknown key', 'unknown-key'],
    ['a token of our own (JWT_SECRET)', 'own-token'],
  ])('answers a bad sb cookie (%s) with 401, never 5xx', async (_name, value) => {
    const { user } = await supabaseUser();
    let cookieValue = value;
    if (value === 'unknown-key') {
      const token = await signWith(await createSigningKey('ES256', key.kid), supabaseClaims(auth.url, user));
      cookieValue = JSON.stringify({ access_token: token });
    }
    if (value === 'own-token') {
      const token = await new SignJWT({ email: user.email, role: 'authenticated' }).setProtectedHeader({ alg: 'HS256' }).setSubject(user.id).setAudience('authenticated').setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET));
      cookieValue = JSON.stringify({ access_token: token });
    }
    const res = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: { cookie: `${COOKIE}=${encodeURIComponent(cookieValue)}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
  });

  it('closes our signup, login and sessions with 403 accounts_managed_by_supabase, and creates no account', async () => {
    const email = `closed-${randomUUID().slice(0, 8)}@example.com`;
    const { token } = await supabaseUser();
    const headers = { authorization: `Bearer ${token}` };
    for (const [method, url, payload] of [
      ['POST', '/api/auth/signup', { email, password: 'correct horse battery' }],
      ['POST', '/api/auth/login', { email, password: 'correct horse battery' }],
      ['POST', '/api/auth/signup', { email: 'not-an-email' }],
      ['POST', '/api/auth/refresh', { refresh_token: 'anything' }],
      ['GET', '/api/auth/sessions', undefined],
      ['DELETE', `/api/auth/sessions/${randomUUID()}`, undefined],
      ['POST', '/api/auth/confirm', { token: 'anything' }],
      ['POST', '/api/auth/resend-confirmation', undefined],
      ['POST', '/api/auth/recover', { email }],
      ['POST', '/api/auth/reset-password', { token: 'anything', password: 'correct horse battery' }],
      ['POST', '/api/auth/change-password', { current_password: 'x', new_password: 'correct horse battery' }],
      ['POST', '/api/auth/logout?scope=global', undefined],
      ['POST', '/api/auth/logout?scope=others', undefined],
    ] as const) {
      const res = await t.app.inject({ method, url, payload, headers });
      expect(res.statusCode, url).toBe(403);
      expect(res.json()).toEqual({ code: 'accounts_managed_by_supabase', error: expect.stringMatching(/managed by Supabase Auth/) });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect((await t.testDb.db.query('select 1 from auth.users where email = $1', [email])).rowCount).toBe(0);
    const logout = await t.app.inject({ method: 'POST', url: '/api/auth/logout' });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/sv_session=;/);
  });

  it('lets a valid sb cookie through beside a stale cookie of ours', async () => {
    const { user, token } = await supabaseUser();
    const res = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `sv_session=stale.token.here; ${COOKIE}=${encodeURIComponent(JSON.stringify({ access_token: token }))}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.id).toBe(user.id);
  });
});

describe('a valid token for a user who is not in auth.users', () => {
  it('is refused with the route’s 401, never a 5xx, and opens nothing', async () => {
    const ghost = { id: randomUUID(), email: 'ghost@example.com' };
    const headers = { authorization: `Bearer ${await signWith(key, supabaseClaims(auth.url, ghost))}` };
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers })).statusCode).toBe(401);
    const t2v = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers, payload: { prompt: 'a ghost' } });
    expect(t2v.statusCode).toBe(401);
    const i2v = await t.app.inject({ method: 'POST', url: '/api/kling/i2v/5s', headers });
    expect(i2v.statusCode).toBe(401);
    expect(i2v.json().error).toBe('认证错误: Invalid user session');
    expect((await t.testDb.db.query('select 1 from user_credits where user_id = $1', [ghost.id])).rowCount).toBe(0);
  });
});
