import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMAIL_TOKEN_TTL_MS } from '../src/domain/email-links.js';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * Links we mail to our own accounts, read back from the development outbox: confirming the address, resetting a
 * forgotten password; and changing the password while signed in.
 */
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'battery staple horse';
const ENV = { SIGNUP_RATE_LIMIT: '1000', AUTH_RATE_LIMIT: '1000', LOGIN_ATTEMPT_LIMIT: '1000' };

let t: TestApp;
let strict: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: ENV });
  strict = await createTestApp({ env: { ...ENV, REQUIRE_EMAIL_CONFIRMATION: 'true' }, testDb: t.testDb });
});
afterAll(async () => {
  await strict?.close();
  await t?.close();
});

interface Session {
  email: string;
  access: string;
  auth: { authorization: string };
}

const newEmail = () => `m-${randomUUID().slice(0, 8)}@example.com`;
function sessionOf(email: string, res: LightMyRequestResponse): Session {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const access = res.json<{ access_token: string }>().access_token;
  return { email, access, auth: { authorization: `Bearer ${access}` } };
}
const signUp = async (app = t, email = newEmail()) =>
  sessionOf(email, await app.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email, password: PASSWORD } }));
const logIn = (email: string, password = PASSWORD) => t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
const me = (s: Session) => t.app.inject({ method: 'GET', url: '/api/auth/me', headers: s.auth });
const post = (url: string, payload?: object, headers: Record<string, string> = {}, remoteAddress?: string) =>
  t.app.inject({ method: 'POST', url, headers, ...(payload && { payload }), ...(remoteAddress && { remoteAddress }) });
const recover = (email: string, remoteAddress = '198.51.100.1') => post('/api/auth/recover', { email }, {}, remoteAddress);

/** The messages the outbox holds for `email`, newest first. */
async function mailsTo(email: string, app = t) {
  return (await app.mailOutbox!.list(1000)).filter((m) => m.to === email);
}

/** The token of the newest link to `page` mailed to `email`, once it has arrived (mail goes out in the background). */
async function tokenMailed(email: string, page: '/confirm' | '/reset-password', count = 1, app = t): Promise<string> {
  return vi.waitFor(async () => {
    const mails = (await mailsTo(email, app)).filter((m) => m.text.includes(`${page}?token=`));
    expect(mails.length).toBeGreaterThanOrEqual(count);
    const match = new RegExp(`(http://localhost(?::\\d+)?)${page}\\?token=([\\w-]{43})`).exec(mails[0]!.text);
    expect(match, mails[0]!.text).not.toBeNull();
    return match![2]!;
  });
}

describe('email confirmation', () => {
  it('signup mails a link whose token confirms the address once', async () => {
    const s = await signUp();
    expect((await me(s)).json().user).toMatchObject({ email: s.email, email_confirmed: false });
    const token = await tokenMailed(s.email, '/confirm');
    expect((await post('/api/auth/confirm', { token })).statusCode).toBe(204);
    expect((await me(s)).json().user.email_confirmed).toBe(true);
    const again = await post('/api/auth/confirm', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('invalid_token');
  });

  it('refuses an expired link, an unknown token, and a link replaced by a newer one', async () => {
    const s = await signUp();
    const first = await tokenMailed(s.email, '/confirm');
    expect((await post('/api/auth/resend-confirmation', undefined, s.auth)).statusCode).toBe(204);
    const second = await tokenMailed(s.email, '/confirm', 2);
    expect(second).not.toBe(first);
    expect((await post('/api/auth/confirm', { token: first })).statusCode).toBe(400);
    expect((await post('/api/auth/confirm', { token: 'x'.repeat(43) })).statusCode).toBe(400);
    t.clock.advance(EMAIL_TOKEN_TTL_MS.confirm + 1000);
    expect((await post('/api/auth/confirm', { token: second })).json().code).toBe('invalid_token');
    expect((await me(s)).json().user.email_confirmed).toBe(false);
  });

  it('resend needs a session, and sends nothing once confirmed', async () => {
    expect((await post('/api/auth/resend-confirmation')).statusCode).toBe(401);
    const s = await signUp();
    await post('/api/auth/confirm', { token: await tokenMailed(s.email, '/confirm') });
    expect((await post('/api/auth/resend-confirmation', undefined, s.auth)).statusCode).toBe(204);
    expect(await mailsTo(s.email)).toHaveLength(1);
  });

  it('with REQUIRE_EMAIL_CONFIRMATION, generation waits for it: 403 email_not_confirmed, nothing charged', async () => {
    const s = await signUp(strict);
    const generate = () => strict.app.inject({ method: 'POST', url: '/api/kling/5s', headers: s.auth, payload: { prompt: 'a fox' } });
    const balance = async () => (await strict.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: s.auth })).json().credits_balance;
    const before = await balance();
    const refused = await generate();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('email_not_confirmed');
    expect(await balance()).toBe(before);
    const token = await tokenMailed(s.email, '/confirm', 1, strict);
    expect((await strict.app.inject({ method: 'POST', url: '/api/auth/confirm', payload: { token } })).statusCode).toBe(204);
    expect((await generate()).statusCode).toBe(200);
    expect(await balance()).toBeLessThan(before);
  });

  it('without it, an unconfirmed account generates', async () => {
    const s = await signUp();
    expect((await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: s.auth, payload: { prompt: 'a fox' } })).statusCode).toBe(200);
  });
});

describe('password reset', () => {
  it('answers an unknown address as a known one, and mails nothing to it', async () => {
    const known = await signUp();
    const unknown = newEmail();
    const a = await recover(unknown, '198.51.100.2');
    const b = await recover(known.email, '198.51.100.2');
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.body).toBe(b.body);
    await tokenMailed(known.email, '/reset-password');
    expect(await mailsTo(unknown)).toEqual([]);
  });

  it('a link sets a new password once, ends every session, confirms the address and signs in', async () => {
    const first = await signUp();
    const second = sessionOf(first.email, await logIn(first.email));
    expect((await recover(first.email, '198.51.100.3')).statusCode).toBe(200);
    const token = await tokenMailed(first.email, '/reset-password');

    const res = await post('/api/auth/reset-password', { token, password: NEW_PASSWORD });
    const fresh = sessionOf(first.email, res);
    expect((await me(first)).statusCode).toBe(401);
    expect((await me(second)).statusCode).toBe(401);
    expect((await me(fresh)).json().user.email_confirmed).toBe(true);
    expect((await logIn(first.email)).statusCode).toBe(401);
    expect((await logIn(first.email, NEW_PASSWORD)).statusCode).toBe(200);

    const again = await post('/api/auth/reset-password', { token, password: PASSWORD });
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('invalid_token');
  });

  it('refuses an expired link, and keeps the password', async () => {
    const s = await signUp();
    await recover(s.email, '198.51.100.4');
    const token = await tokenMailed(s.email, '/reset-password');
    t.clock.advance(EMAIL_TOKEN_TTL_MS.recover + 1000);
    expect((await post('/api/auth/reset-password', { token, password: NEW_PASSWORD })).json().code).toBe('invalid_token');
    expect((await logIn(s.email)).statusCode).toBe(200);
    expect((await me(s)).statusCode).toBe(200);
  });

  it('limits requests per address mailed and per requesting address (429), known or not', async () => {
    const email = newEmail();
    for (let i = 0; i < 3; i++) expect((await recover(email, '198.51.100.5')).statusCode).toBe(200);
    const limited = await recover(email, '198.51.100.6');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');

    for (let i = 0; i < 10; i++) expect((await recover(newEmail(), '198.51.100.7')).statusCode).toBe(200);
    expect((await recover(newEmail(), '198.51.100.7')).statusCode).toBe(429);
  });
});

describe('change password', () => {
  it('needs the current password, then ends the other sessions and keeps this one', async () => {
    const current = await signUp();
    const other = sessionOf(current.email, await logIn(current.email));
    expect((await post('/api/auth/change-password', { current_password: PASSWORD, new_password: NEW_PASSWORD })).statusCode).toBe(401);

    const wrong = await post('/api/auth/change-password', { current_password: 'not it at all', new_password: NEW_PASSWORD }, current.auth);
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json().code).toBe('wrong_password');
    expect((await me(other)).statusCode).toBe(200);

    const changed = await post('/api/auth/change-password', { current_password: PASSWORD, new_password: NEW_PASSWORD }, current.auth);
    expect(changed.statusCode).toBe(204);
    expect((await me(current)).statusCode).toBe(200);
    expect((await me(other)).statusCode).toBe(401);
    expect((await logIn(current.email)).statusCode).toBe(401);
    expect((await logIn(current.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('refuses a new password too short', async () => {
    const s = await signUp();
    const res = await post('/api/auth/change-password', { current_password: PASSWORD, new_password: 'short' }, s.auth);
    expect(res.statusCode).toBe(400);
  });
});
