import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { AuthApiError, createClient, type SupabaseClient } from '@supabase/supabase-js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REFRESH_REUSE_INTERVAL_MS } from '../src/domain/sessions.js';
import { createTestApp, type TestApp } from './helpers/app.js';

/**
 * Supabase Auth's HTTP API under /auth/v1, driven by the real, unchanged supabase-js pointed at a listening test app;
 * mails are read back from the development outbox.
 */
const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'battery staple horse';
const ENV = { SIGNUP_RATE_LIMIT: '1000', AUTH_RATE_LIMIT: '1000', LOGIN_ATTEMPT_LIMIT: '1000' };

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp({ env: ENV });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.close();
});

/** Node 20 has no WebSocket and realtime is never used here: a transport that is never constructed. */
class NoRealtime {
  constructor() {
    throw new Error('realtime is not used in these tests');
  }
}
const client = (): SupabaseClient =>
  createClient(url, 'any-key-in-development', { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: NoRealtime as never } });
const newEmail = () => `v1-${randomUUID().slice(0, 8)}@example.com`;
const fetchCredit = (token: string) => fetch(`${url}/api/user/fetch-credit`, { headers: { authorization: `Bearer ${token}` } });

/** The newest mail to `email` whose subject matches, once it has arrived (mails go out in the background). */
async function mailTo(email: string, subject: RegExp) {
  return vi.waitFor(async () => {
    const mail = (await t.mailOutbox!.list(1000)).find((m) => m.to === email && subject.test(m.subject));
    expect(mail).toBeDefined();
    return mail!;
  });
}
const codeIn = (text: string) => /code where you asked for it: (\d{6})/.exec(text)![1]!;
const linkIn = (text: string) => /(http:\/\/\S+\/auth\/v1\/verify\?\S+)/.exec(text)![1]!;

async function signedUp(supabase = client(), email = newEmail()) {
  const { error } = await supabase.auth.signUp({ email, password: PASSWORD });
  expect(error).toBeNull();
  const { data, error: signInError } = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
  expect(signInError).toBeNull();
  return { supabase, email, session: data.session! };
}

describe('sign up, sign in, read the user', () => {
  it('signs up without a session, mails a confirmation, and signs in with the password', async () => {
    const supabase = client();
    const email = newEmail();
    const { data, error } = await supabase.auth.signUp({ email, password: PASSWORD, options: { data: { name: 'Ada' } } });
    expect(error).toBeNull();
    expect(data.session).toBeNull();
    expect(data.user).toMatchObject({ email, aud: 'authenticated', role: 'authenticated', phone: '', user_metadata: { name: 'Ada' }, is_anonymous: false });
    expect(data.user!.identities).toHaveLength(1);
    expect(linkIn((await mailTo(email, /Confirm/)).text)).toContain('type=signup');

    const signIn = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
    expect(signIn.error).toBeNull();
    const session = signIn.data.session!;
    expect(session).toMatchObject({ token_type: 'bearer', expires_in: 3600, user: { email, app_metadata: { provider: 'email', providers: ['email'] } } });
    expect(session.expires_at).toBe(decodeJwt(session.access_token).exp);
    expect(decodeJwt(session.access_token)).toMatchObject({
      sub: session.user.id, aud: 'authenticated', role: 'authenticated', email, phone: '', aal: 'aal1', is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] }, user_metadata: { name: 'Ada' }, amr: [{ method: 'password' }],
    });
    expect((await supabase.auth.getSession()).data.session?.access_token).toBe(session.access_token);
    const { data: read } = await supabase.auth.getUser();
    expect(read.user).toMatchObject({ id: session.user.id, email });
    expect(read.user!.email_confirmed_at).toBeUndefined();
    expect(read.user!.last_sign_in_at).toBeDefined();
    expect((await fetchCredit(session.access_token)).status).toBe(200);

    const confirmed = await fetch(linkIn((await mailTo(email, /Confirm/)).text), { redirect: 'manual' });
    expect(new URLSearchParams(new URL(confirmed.headers.get('location')!).hash.slice(1)).get('type')).toBe('signup');
    expect((await supabase.auth.getUser()).data.user!.email_confirmed_at).toBeDefined();
  });

  it('answers a registered address alike (a user of the same shape, no session) and mails nothing', async () => {
    const { email } = await signedUp();
    const again = await client().auth.signUp({ email, password: 'some other password' });
    expect(again.error).toBeNull();
    expect(again.data.session).toBeNull();
    expect(Object.keys(again.data.user!).sort()).toEqual(Object.keys((await client().auth.signUp({ email: newEmail(), password: PASSWORD })).data.user!).sort());
  });

  it('refuses a wrong password with Supabase Auth’s invalid_credentials, in both error shapes', async () => {
    const { email } = await signedUp();
    const { error } = await client().auth.signInWithPassword({ email, password: 'wrong password!' });
    expect(error).toBeInstanceOf(AuthApiError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' });
    const old = await fetch(`${url}/auth/v1/token?grant_type=password`, { method: 'POST', headers: { apikey: 'k', 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'nope' }) });
    expect(await old.json()).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
    expect(old.headers.get('x-sb-error-code')).toBe('invalid_credentials');
  });

  it('refuses a weak password with weak_password', async () => {
    const { error } = await client().auth.signUp({ email: newEmail(), password: 'short' });
    expect(error).toMatchObject({ name: 'AuthWeakPasswordError', status: 422, code: 'weak_password', reasons: ['length'] });
  });
});

describe('sessions', () => {
  it('refresh rotates the token; an old one used past the reuse interval ends the session', async () => {
    const { supabase, session } = await signedUp();
    const { data, error } = await supabase.auth.refreshSession();
    expect(error).toBeNull();
    expect(data.session!.refresh_token).not.toBe(session.refresh_token);
    expect(decodeJwt(data.session!.access_token)).toMatchObject({ session_id: decodeJwt(session.access_token).session_id, amr: [{ method: 'token_refresh' }] });
    t.clock.advance(REFRESH_REUSE_INTERVAL_MS + 1000);
    const reuse = await client().auth.refreshSession({ refresh_token: session.refresh_token });
    expect(reuse.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' });
    expect((await client().auth.refreshSession({ refresh_token: data.session!.refresh_token })).error).toMatchObject({ code: 'refresh_token_not_found' });
    expect((await fetchCredit(data.session!.access_token)).status).toBe(401);
  });

  it('updateUser sets a new password: the old one stops working, the other sessions end, this one goes on', async () => {
    const { supabase, email } = await signedUp();
    const other = await client().auth.signInWithPassword({ email, password: PASSWORD });
    const { error } = await supabase.auth.updateUser({ password: NEW_PASSWORD, data: { plan: 'pro' } });
    expect(error).toBeNull();
    expect((await supabase.auth.getUser()).data.user!.user_metadata).toEqual({ plan: 'pro' });
    expect((await fetchCredit(other.data.session!.access_token)).status).toBe(401);
    expect((await client().auth.signInWithPassword({ email, password: PASSWORD })).error).toMatchObject({ code: 'invalid_credentials' });
    expect((await client().auth.signInWithPassword({ email, password: NEW_PASSWORD })).error).toBeNull();
  });

  it('signOut local, others and global end the right sessions, on /api routes too', async () => {
    const { supabase: a, email } = await signedUp();
    const sign = async () => {
      const supabase = client();
      const { data } = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
      return { supabase, token: data.session!.access_token };
    };
    const tokenA = (await a.auth.getSession()).data.session!.access_token;
    const b = await sign();
    const c = await sign();
    expect((await b.supabase.auth.signOut({ scope: 'local' })).error).toBeNull();
    expect((await fetchCredit(b.token)).status).toBe(401);
    expect((await b.supabase.auth.getSession()).data.session).toBeNull();
    expect((await fetchCredit(c.token)).status).toBe(200);

    expect((await a.auth.signOut({ scope: 'others' })).error).toBeNull();
    expect((await fetchCredit(c.token)).status).toBe(401);
    expect((await fetchCredit(tokenA)).status).toBe(200);
    const d = await sign();
    expect((await a.auth.signOut()).error).toBeNull();
    expect((await fetchCredit(tokenA)).status).toBe(401);
    expect((await fetchCredit(d.token)).status).toBe(401);
    const gone = await fetch(`${url}/auth/v1/user`, { headers: { apikey: 'k', authorization: `Bearer ${d.token}`, 'x-supabase-api-version': '2024-01-01' } });
    expect(gone.status).toBe(403);
    expect(await gone.json()).toEqual({ code: 'session_not_found', message: 'Session from session_id claim in JWT does not exist' });
  });
});

describe('mailed links and codes', () => {
  it('recover → the code → verifyOtp signs in → updateUser sets the password', async () => {
    const { email } = await signedUp();
    const supabase = client();
    expect((await supabase.auth.resetPasswordForEmail(email, { redirectTo: `${url}/account` })).error).toBeNull();
    const mail = await mailTo(email, /Reset/);
    expect(linkIn(mail.text)).toContain('type=recovery');
    const wrong = await supabase.auth.verifyOtp({ email, token: '000000' === codeIn(mail.text) ? '111111' : '000000', type: 'recovery' });
    expect(wrong.error).toMatchObject({ status: 403, code: 'otp_expired' });
    const { data, error } = await supabase.auth.verifyOtp({ email, token: codeIn(mail.text), type: 'recovery' });
    expect(error).toBeNull();
    expect(decodeJwt(data.session!.access_token).amr).toEqual([{ method: 'otp', timestamp: expect.any(Number) }]);
    expect((await supabase.auth.updateUser({ password: NEW_PASSWORD })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password: NEW_PASSWORD })).error).toBeNull();
    expect((await supabase.auth.verifyOtp({ email, token: codeIn(mail.text), type: 'recovery' })).error).toMatchObject({ code: 'otp_expired' });
  });

  it('the recovery link signs in through GET /verify, redirecting with the session in the fragment, only to our origin', async () => {
    const { email } = await signedUp();
    await client().auth.resetPasswordForEmail(email, { redirectTo: 'https://evil.example/steal' });
    const link = linkIn((await mailTo(email, /Reset/)).text);
    const res = await fetch(link, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toBe(url);
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('type')).toBe('recovery');
    const token = fragment.get('access_token')!;
    expect((await fetchCredit(token)).status).toBe(200);
    const again = new URL((await fetch(link, { redirect: 'manual' })).headers.get('location')!);
    expect(new URLSearchParams(again.hash.slice(1)).get('error_code')).toBe('otp_expired');
  });

  it('signInWithOtp mails a code that signs in (creating the account), and bounds the tries', async () => {
    const email = newEmail();
    const supabase = client();
    expect((await supabase.auth.signInWithOtp({ email })).error).toBeNull();
    const code = codeIn((await mailTo(email, /sign-in/)).text);
    const { data, error } = await supabase.auth.verifyOtp({ email, token: code, type: 'email' });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email });
    expect(data.user!.email_confirmed_at).toBeDefined();
    expect((await fetchCredit(data.session!.access_token)).status).toBe(200);

    expect((await client().auth.signInWithOtp({ email: newEmail(), options: { shouldCreateUser: false } })).error).toBeNull();
    await client().auth.signInWithOtp({ email });
    const next = codeIn((await vi.waitFor(async () => {
      const mails = (await t.mailOutbox!.list(1000)).filter((m) => m.to === email);
      expect(mails).toHaveLength(2);
      return mails[0]!;
    })).text);
    const wrong = next === '123456' ? '654321' : '123456';
    for (let i = 0; i < 5; i++) expect((await client().auth.verifyOtp({ email, token: wrong, type: 'email' })).error).toMatchObject({ code: 'otp_expired' });
    expect((await client().auth.verifyOtp({ email, token: next, type: 'email' })).error).toMatchObject({ status: 429, code: 'over_request_rate_limit' });
  });
});

describe('changing the address', () => {
  it('updateUser({email}) mails a link to the new address that moves the account (domain/email-change.ts)', async () => {
    const { supabase, email } = await signedUp();
    const next = newEmail();
    const { data, error } = await supabase.auth.updateUser({ email: next });
    expect(error).toBeNull();
    expect(data.user).toMatchObject({ email, new_email: next });
    const link = linkIn((await mailTo(next, /new email/)).text);
    expect(link).toContain('type=email_change');
    const res = await fetch(link, { redirect: 'manual' });
    expect(new URLSearchParams(new URL(res.headers.get('location')!).hash.slice(1)).get('type')).toBe('email_change');
    expect((await supabase.auth.getUser()).data.user).toMatchObject({ email: next });
    expect((await client().auth.signInWithPassword({ email: next, password: PASSWORD })).error).toBeNull();
  });
});

describe('the rest of the API', () => {
  it('answers settings and an empty JWKS', async () => {
    const settings = await (await fetch(`${url}/auth/v1/settings`, { headers: { apikey: 'k' } })).json();
    expect(settings).toMatchObject({ external: { email: true, phone: false, google: false }, disable_signup: false, mailer_autoconfirm: false, saml_enabled: false });
    const jwks = await fetch(`${url}/auth/v1/.well-known/jwks.json`);
    expect(await jwks.json()).toEqual({ keys: [] });
  });

  it('answers what is not offered with Supabase Auth’s errors', async () => {
    const supabase = client();
    const { data } = await supabase.auth.signInWithOAuth({ provider: 'github', options: { skipBrowserRedirect: true } });
    const oauth = await fetch(data.url!, { headers: { 'x-supabase-api-version': '2024-01-01' } });
    expect(oauth.status).toBe(400);
    expect(await oauth.json()).toEqual({ code: 'validation_failed', message: 'Unsupported provider: provider is not enabled' });
    expect((await supabase.auth.signInWithPassword({ phone: '+15555550100', password: PASSWORD })).error).toMatchObject({ status: 422, code: 'phone_provider_disabled' });
    expect((await supabase.auth.signInWithOtp({ phone: '+15555550100' })).error).toMatchObject({ status: 400, code: 'phone_provider_disabled' });
    const { supabase: signedIn } = await signedUp();
    expect((await signedIn.auth.mfa.enroll({ factorType: 'totp' })).error).toMatchObject({ status: 422, code: 'mfa_totp_enroll_not_enabled' });
    const sso = await fetch(`${url}/auth/v1/sso`, { method: 'POST', headers: { apikey: 'k', 'content-type': 'application/json' }, body: '{}' });
    expect(sso.status).toBe(404);
    expect((await sso.json()).error_code).toBe('feature_disabled');
  });

  it('is in the OpenAPI document', async () => {
    const paths = Object.keys((await (await fetch(`${url}/api/openapi.json`)).json()).paths);
    for (const path of ['/auth/v1/signup', '/auth/v1/token', '/auth/v1/user', '/auth/v1/logout', '/auth/v1/recover', '/auth/v1/verify', '/auth/v1/otp', '/auth/v1/settings']) {
      expect(paths).toContain(path);
    }
  });
});

describe('the apikey', () => {
  it('is checked against PUBLISHABLE_KEY when set', async () => {
    const keyed = await createTestApp({ env: { ...ENV, PUBLISHABLE_KEY: 'sb_publishable_right' }, testDb: t.testDb });
    try {
      const settings = (apikey?: string) => keyed.app.inject({ method: 'GET', url: '/auth/v1/settings', headers: apikey ? { apikey } : {} });
      expect((await settings('sb_publishable_right')).statusCode).toBe(200);
      const wrong = await settings('sb_publishable_wrong');
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ message: 'Invalid API key' });
      expect((await settings()).statusCode).toBe(401);
    } finally {
      await keyed.close();
    }
  });

  it('is off with Supabase Auth as the identity provider', async () => {
    const supabaseMode = await createTestApp({ env: { ...ENV, SUPABASE_URL: 'https://abcd.supabase.co', SUPABASE_JWT_SECRET: 'x'.repeat(32) }, testDb: t.testDb });
    try {
      expect((await supabaseMode.app.inject({ method: 'GET', url: '/auth/v1/settings', headers: { apikey: 'k' } })).statusCode).toBe(404);
    } finally {
      await supabaseMode.close();
    }
  });
});
