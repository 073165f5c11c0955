import { createHash, randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIVE_SESSION_REMEMBER_MS } from '../src/domain/live-sessions.js';
import { REFRESH_REUSE_INTERVAL_MS } from '../src/domain/sessions.js';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * Our own accounts' sessions: one per sign-in, kept alive by refresh tokens that rotate on every use; a used one
 * presented again ends the session; logout and the sessions routes end them, and an ended session's access tokens
 * are refused at once.
 */
const ACCESS_TTL = 900;
const IDLE_TIMEOUT = 86_400;
const REFRESH_LIMIT = 60;
const PASSWORD = 'correct horse battery';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({
    env: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL), SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT), REFRESH_RATE_LIMIT: String(REFRESH_LIMIT) },
  });
});
afterAll(() => t.close());

interface Session {
  userId: string;
  email: string;
  access: string;
  refresh: string;
  sessionId: string;
}

function sessionOf(res: LightMyRequestResponse): Session {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const body = res.json<{ user: { id: string; email: string }; access_token: string; refresh_token: string }>();
  return { userId: body.user.id, email: body.user.email, access: body.access_token, refresh: body.refresh_token, sessionId: String(decodeJwt(body.access_token).session_id) };
}

const newEmail = () => `s-${randomUUID().slice(0, 8)}@example.com`;
const signUp = async (email = newEmail()) =>
  sessionOf(await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email, password: PASSWORD } }));
const logIn = async (email: string, headers: Record<string, string> = {}, remoteAddress?: string) =>
  sessionOf(await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: PASSWORD }, headers, ...(remoteAddress && { remoteAddress }) }));
const refresh = (refreshToken?: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/auth/refresh', headers, ...(refreshToken !== undefined && { payload: { refresh_token: refreshToken } }) });
const bearer = (s: Session) => ({ authorization: `Bearer ${s.access}` });
/** What the API answers a request with this access token. */
const meStatus = async (access: string) => (await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${access}` } })).statusCode;
const logout = (headers: Record<string, string>, scope?: string) =>
  t.app.inject({ method: 'POST', url: `/api/auth/logout${scope ? `?scope=${scope}` : ''}`, headers });
const cookie = (res: LightMyRequestResponse, name: string) => res.cookies.find((c) => c.name === name);

describe('signing in starts a session', () => {
  it('answers with a refresh token beside the access token, and sets it in a cookie only the auth routes get', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: newEmail(), password: PASSWORD } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: ACCESS_TTL, refresh_token: expect.stringMatching(/^[\w-]{43}$/) });
    expect(cookie(res, 'sv_session')).toMatchObject({ value: body.access_token, httpOnly: true, sameSite: 'Lax', path: '/', maxAge: ACCESS_TTL });
    expect(cookie(res, 'sv_refresh')).toMatchObject({ value: body.refresh_token, httpOnly: true, sameSite: 'Strict', path: '/api/auth', maxAge: IDLE_TIMEOUT });

    const claims = decodeJwt(body.access_token);
    expect(claims.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.exp! - claims.iat!).toBe(ACCESS_TTL);
    // Kept as its SHA-256 only.
    const hash = createHash('sha256').update(body.refresh_token).digest();
    const { rows } = await t.deps.db.query<{ session_id: string }>('select session_id from auth_refresh_tokens where token_hash = $1', [hash]);
    expect(rows).toEqual([{ session_id: claims.session_id }]);
  });

  it('makes one session per sign-in', async () => {
    const first = await signUp();
    const second = await logIn(first.email);
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(await meStatus(first.access)).toBe(200);
    expect(await meStatus(second.access)).toBe(200);
  });
});

describe('POST /api/auth/refresh', () => {
  it('rotates: a new access token and refresh token in the same session, both cookies set again', async () => {
    const s = await signUp();
    const res = await refresh(s.refresh);
    const next = sessionOf(res);
    expect(next).toMatchObject({ userId: s.userId, email: s.email, sessionId: s.sessionId });
    expect(next.refresh).not.toBe(s.refresh);
    expect(res.json().expires_in).toBe(ACCESS_TTL);
    expect(cookie(res, 'sv_refresh')?.value).toBe(next.refresh);
    expect(cookie(res, 'sv_session')?.value).toBe(next.access);
    expect(await meStatus(next.access)).toBe(200);
    expect(sessionOf(await refresh(next.refresh)).sessionId).toBe(s.sessionId);
  });

  it('takes the refresh token from the sv_refresh cookie, but not from another site', async () => {
    const s = await signUp();
    const next = sessionOf(await refresh(undefined, { cookie: `sv_refresh=${s.refresh}` }));
    expect(next.sessionId).toBe(s.sessionId);
    const foreign = await refresh(undefined, { cookie: `sv_refresh=${next.refresh}`, origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('forbidden_origin');
    expect((await refresh(next.refresh)).statusCode).toBe(200);
  });

  it('ends the session when a used refresh token comes back: the newest refresh token and every access token of it stop', async () => {
    const s = await signUp();
    const next = sessionOf(await refresh(s.refresh));
    expect(await meStatus(next.access)).toBe(200);
    t.clock.advance(REFRESH_REUSE_INTERVAL_MS + 1);
    const reused = await refresh(s.refresh);
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toEqual({ error: 'Invalid refresh token: sign in again', code: 'invalid_refresh_token' });
    expect((await refresh(next.refresh)).statusCode).toBe(401);
    expect(await meStatus(next.access)).toBe(401);
    expect(await meStatus(s.access)).toBe(401);
  });

  it('lets concurrent refreshes with one token both succeed within the reuse interval; the session goes on with either', async () => {
    const s = await signUp();
    const [a, b] = (await Promise.all([refresh(s.refresh), refresh(s.refresh)])).map(sessionOf);
    expect(a!.refresh).not.toBe(b!.refresh);
    expect([a!.sessionId, b!.sessionId]).toEqual([s.sessionId, s.sessionId]);
    t.clock.advance(REFRESH_REUSE_INTERVAL_MS + 1);
    // The client kept b's token: it goes on, and a's, never used, is now spent too.
    const c = sessionOf(await refresh(b!.refresh));
    expect(await meStatus(c.access)).toBe(200);
    t.clock.advance(REFRESH_REUSE_INTERVAL_MS + 1);
    expect((await refresh(a!.refresh)).statusCode).toBe(401);
    expect((await refresh(c.refresh)).statusCode).toBe(401);
  });

  it('answers an unknown token, or none, with 401 and ends nothing', async () => {
    const s = await signUp();
    for (const res of [await refresh('not-a-token-of-ours'), await refresh(), await refresh(undefined, { cookie: 'sv_refresh=' })]) {
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('invalid_refresh_token');
    }
    expect((await refresh('')).statusCode).toBe(400);
    expect((await refresh(s.refresh)).statusCode).toBe(200);
  });

  it('refuses a session idle past SESSION_IDLE_TIMEOUT_SECONDS', async () => {
    const idle = await signUp();
    const fresh = await logIn(idle.email);
    t.clock.advance(IDLE_TIMEOUT * 1000 - 1000);
    const kept = sessionOf(await refresh(fresh.refresh));
    t.clock.advance(1000);
    expect((await refresh(idle.refresh)).statusCode).toBe(401);
    const listed = await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(kept) });
    expect(listed.json().sessions.map((x: { id: string }) => x.id)).toEqual([fresh.sessionId]);
  });

  it(`is limited to REFRESH_RATE_LIMIT (${REFRESH_LIMIT}) a minute per address`, async () => {
    const codes: number[] = [];
    for (let i = 0; i <= REFRESH_LIMIT; i++) {
      codes.push((await t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: 'x' }, remoteAddress: '198.51.100.77' })).statusCode);
    }
    expect(codes.slice(0, REFRESH_LIMIT).every((c) => c === 401)).toBe(true);
    expect(codes[REFRESH_LIMIT]).toBe(429);
  });
});

describe('POST /api/auth/logout', () => {
  it('ends this session at once (its access and refresh tokens stop) and clears both cookies; others go on', async () => {
    const s = await signUp();
    const other = await logIn(s.email);
    expect(await meStatus(s.access)).toBe(200); // remembered as live from here on
    const res = await logout(bearer(s));
    expect(res.statusCode).toBe(204);
    expect(cookie(res, 'sv_session')).toMatchObject({ value: '', path: '/' });
    expect(cookie(res, 'sv_refresh')).toMatchObject({ value: '', path: '/api/auth' });
    expect(await meStatus(s.access)).toBe(401);
    expect((await refresh(s.refresh)).statusCode).toBe(401);
    expect(await meStatus(other.access)).toBe(200);
  });

  it('with no valid access token, ends the session its refresh cookie names', async () => {
    const s = await signUp();
    expect((await logout({ cookie: `sv_refresh=${s.refresh}` })).statusCode).toBe(204);
    expect((await refresh(s.refresh)).statusCode).toBe(401);
    expect(await meStatus(s.access)).toBe(401);
    expect((await logout({})).statusCode).toBe(204);
  });

  it('scope=others ends every other session of the user, scope=global all of them; other users’ go on', async () => {
    const s = await signUp();
    const [two, three] = [await logIn(s.email), await logIn(s.email)];
    const stranger = await signUp();
    expect((await logout(bearer(s), 'others')).statusCode).toBe(204);
    expect([await meStatus(s.access), await meStatus(two.access), await meStatus(three.access)]).toEqual([200, 401, 401]);
    const four = await logIn(s.email);
    const global = await logout(bearer(four), 'global');
    expect(global.statusCode).toBe(204);
    expect(cookie(global, 'sv_session')?.value).toBe('');
    expect([await meStatus(s.access), await meStatus(four.access), await meStatus(stranger.access)]).toEqual([401, 401, 200]);
  });

  it('answers scope=global and scope=others without a live session with 401, and a bad scope with 400', async () => {
    const s = await signUp();
    await logout(bearer(s));
    for (const scope of ['global', 'others']) expect((await logout(bearer(s), scope)).statusCode).toBe(401);
    expect((await logout({}, 'global')).statusCode).toBe(401);
    expect((await logout({}, 'everything')).statusCode).toBe(400);
  });
});

describe('GET and DELETE /api/auth/sessions', () => {
  it('lists the user’s sessions, last used first, the current one marked, with user agent and address', async () => {
    const s = await signUp();
    t.clock.advance(1000);
    const phone = await logIn(s.email, { 'user-agent': 'Phone/1.0' }, '203.0.113.9');
    t.clock.advance(1000);
    const laptop = await logIn(s.email, { 'user-agent': 'Laptop/2.0' }, '203.0.113.10');
    await signUp(); // another user's sessions are not listed
    t.clock.advance(1000);
    sessionOf(await refresh(phone.refresh, { 'user-agent': 'Phone/1.1' }));
    const res = await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: bearer(laptop) });
    expect(res.statusCode).toBe(200);
    const sessions = res.json().sessions;
    expect(sessions.map((x: { id: string }) => x.id)).toEqual([phone.sessionId, laptop.sessionId, s.sessionId]);
    expect(sessions[0]).toMatchObject({ user_agent: 'Phone/1.1', ip: '127.0.0.1', current: false });
    expect(sessions[1]).toMatchObject({ user_agent: 'Laptop/2.0', ip: '203.0.113.10', current: true });
    expect(Date.parse(sessions[0].refreshed_at)).toBeGreaterThan(Date.parse(sessions[0].created_at));
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/sessions' })).statusCode).toBe(401);
  });

  it('ends one of one’s own sessions; another user’s, an ended or an unknown one is 404', async () => {
    const s = await signUp();
    const other = await logIn(s.email);
    const stranger = await signUp();
    const del = (who: Session, id: string) => t.app.inject({ method: 'DELETE', url: `/api/auth/sessions/${id}`, headers: bearer(who) });

    const foreign = await del(stranger, s.sessionId);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual({ error: 'Session not found', code: 'session_not_found' });
    expect(await meStatus(s.access)).toBe(200);

    expect((await del(s, other.sessionId)).statusCode).toBe(204);
    expect(await meStatus(other.access)).toBe(401);
    expect((await del(s, other.sessionId)).statusCode).toBe(404);
    expect((await del(s, randomUUID())).statusCode).toBe(404);
    expect((await del(s, 'not-a-uuid')).statusCode).toBe(400);
    expect(await meStatus(s.access)).toBe(200);
  });
});

describe('access tokens and their sessions', () => {
  it('stop working on another instance within LIVE_SESSION_REMEMBER_MS of a logout', async () => {
    const other = await createTestApp({ testDb: t.testDb, clock: t.clock });
    try {
      const s = await signUp();
      const meThere = async () => (await other.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(s) })).statusCode;
      expect(await meThere()).toBe(200);
      expect((await logout(bearer(s))).statusCode).toBe(204);
      expect(await meStatus(s.access)).toBe(401);
      expect(await meThere()).toBe(200); // still remembered as live there
      t.clock.advance(LIVE_SESSION_REMEMBER_MS);
      expect(await meThere()).toBe(401);
    } finally {
      await other.close();
    }
  });
});
