import { describe, expect, it } from 'vitest';
import { readSupabaseAccessToken, supabaseAuthCookieName } from './supabase-cookie.js';

const name = 'sb-abcd-auth-token';
const session = JSON.stringify({ access_token: 'the.access.token', refresh_token: 'r', user: { id: 'u' } });
const base64 = `base64-${Buffer.from(session).toString('base64url')}`;

describe('the Supabase session cookie', () => {
  it.each([
    ['https://abcd.supabase.co', 'sb-abcd-auth-token'],
    ['https://abcd.supabase.co/', 'sb-abcd-auth-token'],
    ['http://127.0.0.1:54321', 'sb-127-auth-token'],
    ['https://auth.example.com/supabase', 'sb-auth-auth-token'],
  ])('is named after the first label of the host (%s)', (url, expected) => {
    expect(supabaseAuthCookieName(url)).toBe(expected);
  });

  it('reads the access token from base64url and from the older raw JSON', () => {
    expect(readSupabaseAccessToken({ [name]: base64 }, name)).toBe('the.access.token');
    expect(readSupabaseAccessToken({ [name]: session }, name)).toBe('the.access.token');
  });

  it('joins chunks in order and stops at the first missing index', () => {
    const [a, b, c] = [base64.slice(0, 10), base64.slice(10, 40), base64.slice(40)];
    expect(readSupabaseAccessToken({ [`${name}.1`]: b, [`${name}.0`]: a, [`${name}.2`]: c }, name)).toBe('the.access.token');
    expect(readSupabaseAccessToken({ [`${name}.0`]: a, [`${name}.2`]: c }, name)).toBeUndefined();
    expect(readSupabaseAccessToken({ [`${name}.1`]: b, [`${name}.2`]: c }, name)).toBeUndefined();
  });

  it.each([
    ['nothing', {}],
    ['another project', { 'sb-other-auth-token': base64 }],
    ['not JSON', { [name]: 'base64-!!!not base64' }],
    ['JSON without access_token', { [name]: `base64-${Buffer.from('{"refresh_token":"r"}').toString('base64url')}` }],
    ['an empty access_token', { [name]: JSON.stringify({ access_token: '' }) }],
    ['a JSON array', { [name]: '["a","b"]' }],
    ['JSON null', { [name]: 'null' }],
  ])('is no token when it is %s', (_name, cookies) => {
    expect(readSupabaseAccessToken(cookies, name)).toBeUndefined();
  });
});
