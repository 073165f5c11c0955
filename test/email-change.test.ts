import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EMAIL_TOKEN_TTL_MS } from '../src/domain/email-links.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { startSupabaseAuth } from './helpers/supabase-auth.js';

/** Changing the address of an own account: asked with the password, confirmed by the link mailed to the new address. */
const PASSWORD = 'correct horse battery';
const ENV = { SIGNUP_RATE_LIMIT: '1000', AUTH_RATE_LIMIT: '1000', LOGIN_ATTEMPT_LIMIT: '5' };

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: ENV });
});
afterAll(() => t?.close());

/** Each test asks from its own address, so the per-address mail limit counts only its own requests. */
let lastOctet = 0;
const freshAddress = () => `198.51.100.${++lastOctet}`;
const newEmail = () => `c-${randomUUID().slice(0, 8)}@example.com`;
const signUp = () => t.signUp(newEmail());

const post = (url: string, payload: object, headers: Record<string, string> = {}, remoteAddress = '203.0.113.1') =>
  t.app.inject({ method: 'POST', url, headers, payload, remoteAddress });
const askChange = (user: TestUser, newAddress: string, password = PASSWORD, remoteAddress = freshAddress()) =>
  post('/api/auth/email', { new_email: newAddress, password }, user.auth, remoteAddress);
const confirmChange = (token: string) => post('/api/auth/email/confirm', { token });
const logIn = (email: string) => post('/api/auth/login', { email, password: PASSWORD });

const mailsTo = async (email: string) => (await t.mailOutbox!.list(1000)).filter((m) => m.to === email);

/** The token of the newest change link mailed to `email`, once it has arrived (mail goes out in the background). */
async function tokenMailed(email: string, count = 1): Promise<string> {
  return vi.waitFor(async () => {
    const mails = (await mailsTo(email)).filter((m) => m.text.includes('/change-email?token='));
    expect(mails.length).toBeGreaterThanOrEqual(count);
    const match = /http:\/\/localhost(?::\d+)?\/change-email\?token=([\w-]{43})/.exec(mails[0]!.text);
    expect(match, mails[0]!.text).not.toBeNull();
    return match![1]!;
  });
}

const pendingOf = async (userId: string) =>
  (await t.deps.db.query<{ email: string; email_change: string }>('select email, email_change from auth.users where id = $1', [userId])).rows[0];

describe('POST /api/auth/email and /api/auth/email/confirm', () => {
  it('a new password drops a pending change: its link stops working', async () => {
    const user = await signUp();
    const target = newEmail();
    expect((await askChange(user, target)).statusCode).toBe(200);
    const token = await tokenMailed(target);
    const changed = await post('/api/auth/change-password', { current_password: PASSWORD, new_password: 'another horse battery' }, user.auth);
    expect(changed.statusCode, changed.body).toBe(204);
    expect(await pendingOf(user.id)).toEqual({ email: user.email, email_change: '' });
    const refused = await confirmChange(token);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('invalid_token');
  });

  it('mails a link to the new address and a notice to the old; the link moves the account once', async () => {
    const user = await signUp();
    const target = newEmail();
    const res = await askChange(user, target.toUpperCase());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({});
    expect(await pendingOf(user.id)).toEqual({ email: user.email, email_change: target });

    const token = await tokenMailed(target);
    const notice = await vi.waitFor(async () => {
      const [mail] = await mailsTo(user.email).then((ms) => ms.filter((m) => m.subject === 'Your email address is being changed'));
      expect(mail).toBeDefined();
      return mail!;
    });
    expect(notice.text).toContain(target);
    expect(notice.text).not.toContain(token);

    const confirmed = await confirmChange(token);
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toEqual({ user: { id: user.id, email: target } });
    expect(await pendingOf(user.id)).toEqual({ email: target, email_change: '' });
    const identity = await t.deps.db.query<{ data: { email: string; email_verified: boolean } }>(
      `select identity_data as data from auth.identities where user_id = $1 and provider = 'email'`,
      [user.id],
    );
    expect(identity.rows[0]!.data).toMatchObject({ email: target, email_verified: true });

    const again = await confirmChange(token);
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('invalid_token');

    expect((await logIn(user.email)).statusCode).toBe(401);
    const signedIn = await logIn(target);
    expect(signedIn.statusCode).toBe(200);
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${signedIn.json().access_token}` } });
    expect(me.json().user).toMatchObject({ email: target, email_confirmed: true });
  });

  it('the change ends links mailed before it: a reset link in the old inbox no longer works', async () => {
    const user = await signUp();
    expect((await post('/api/auth/recover', { email: user.email }, {}, freshAddress())).statusCode).toBe(200);
    const reset = await vi.waitFor(async () => {
      const match = /\/reset-password\?token=([\w-]{43})/.exec((await mailsTo(user.email)).find((m) => m.text.includes('/reset-password'))?.text ?? '');
      expect(match).not.toBeNull();
      return match![1]!;
    });
    const target = newEmail();
    await askChange(user, target);
    expect((await confirmChange(await tokenMailed(target))).statusCode).toBe(200);
    expect((await post('/api/auth/reset-password', { token: reset, password: 'a whole new password' })).json().code).toBe('invalid_token');
  });

  it('refuses an expired link, an unknown token and a link replaced by a newer request', async () => {
    const user = await signUp();
    const first = newEmail();
    const second = newEmail();
    await askChange(user, first);
    const firstToken = await tokenMailed(first);
    await askChange(user, second);
    const secondToken = await tokenMailed(second);
    expect(await pendingOf(user.id)).toMatchObject({ email_change: second });
    expect((await confirmChange(firstToken)).json().code).toBe('invalid_token');
    expect((await confirmChange('x'.repeat(43))).json().code).toBe('invalid_token');
    t.clock.advance(EMAIL_TOKEN_TTL_MS.email_change + 1000);
    const expired = await confirmChange(secondToken);
    expect(expired.statusCode).toBe(400);
    expect(expired.json().code).toBe('invalid_token');
    expect((await pendingOf(user.id))!.email).toBe(user.email);
  });

  it('refuses a wrong password (403) and counts it as a sign-in attempt; mails nothing', async () => {
    const user = await signUp();
    const target = newEmail();
    for (let i = 0; i < 5; i++) {
      const wrong = await askChange(user, target, 'not the password');
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('wrong_password');
    }
    expect((await askChange(user, target)).json().code).toBe('too_many_login_attempts');
    expect((await logIn(user.email)).statusCode).toBe(429);
    expect(await mailsTo(target)).toEqual([]);
    expect(await pendingOf(user.id)).toMatchObject({ email_change: '' });
  });

  it('refuses an address another account has (409), at the request and when taken before the confirmation', async () => {
    const user = await signUp();
    const other = await signUp();
    const taken = await askChange(user, other.email);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('email_taken');

    const target = newEmail();
    await askChange(user, target);
    const token = await tokenMailed(target);
    await t.signUp(target);
    const late = await confirmChange(token);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('email_taken');
    expect((await pendingOf(user.id))!.email).toBe(user.email);
  });

  it('refuses the address the account has already, a malformed one, and a request without a session', async () => {
    const user = await signUp();
    expect((await askChange(user, user.email)).statusCode).toBe(400);
    expect((await askChange(user, 'not an address')).statusCode).toBe(400);
    expect((await post('/api/auth/email', { new_email: newEmail(), password: PASSWORD })).statusCode).toBe(401);
  });

  it('limits the mails per new address and per requesting address (429)', async () => {
    const user = await signUp();
    const target = newEmail();
    for (let i = 0; i < 3; i++) expect((await askChange(user, target)).statusCode).toBe(200);
    const limited = await askChange(user, target);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');

    const address = freshAddress();
    for (let i = 0; i < 10; i++) expect((await askChange(user, newEmail(), PASSWORD, address)).statusCode).toBe(200);
    expect((await askChange(user, newEmail(), PASSWORD, address)).statusCode).toBe(429);
  });
});

describe('OpenAPI', () => {
  it('documents both routes with their answers', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/auth/email'].post.responses)).toEqual(expect.arrayContaining(['200', '403', '409', '429']));
    expect(doc.paths['/api/auth/email/confirm'].post.responses['200']).toBeDefined();
  });
});

describe('with SUPABASE_URL', () => {
  it('both routes are closed (403) whatever was sent', async () => {
    const auth = await startSupabaseAuth();
    const s = await createTestApp({ env: { SUPABASE_URL: auth.url }, testDb: t.testDb });
    try {
      for (const url of ['/api/auth/email', '/api/auth/email/confirm']) {
        const res = await s.app.inject({ method: 'POST', url, payload: {} });
        expect(res.statusCode, url).toBe(403);
        expect(res.json()).toMatchObject({ code: 'accounts_managed_by_supabase' });
      }
    } finally {
      await s.close();
      await auth.close();
    }
  });
});
