import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTestClock } from './helpers/clock.js';
import { createTestDb } from './helpers/db.js';

const password = 'correct horse battery';
const opened: TestApp[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});

async function app(env: Record<string, string>, extra: Parameters<typeof createTestApp>[0] = {}): Promise<TestApp> {
  const t = await createTestApp({ ...extra, env });
  opened.push(t);
  return t;
}

/** A request from the socket address 127.0.0.1 claiming, by X-Forwarded-For, to come from `forwarded`. */
function from(forwarded: string) {
  return { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': forwarded } };
}

describe('client addresses', () => {
  it('believes no X-Forwarded-For by default: rotating it buys no extra attempts', async () => {
    const t = await app({ AUTH_RATE_LIMIT: '3' });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: `nobody${i}@example.com`, password }, ...from(`198.51.100.${i}`) });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429]);
  });

  it('believes the proxy hops TRUST_PROXY names', async () => {
    const t = await app({ AUTH_RATE_LIMIT: '3', TRUST_PROXY: '1' });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: `nobody${i}@example.com`, password }, ...from(`198.51.100.${i}`) });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 401, 401]);
    // One hop is believed, not two: what the client itself wrote before the proxy's entry stays its claim.
    const spoofed = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@example.com', password }, ...from(`203.0.113.${i}, 198.51.100.200`) });
      spoofed.push(res.statusCode);
    }
    expect(spoofed).toEqual([401, 401, 401, 429]);
  });

  it('believes only the listed proxy addresses', async () => {
    const t = await app({ AUTH_RATE_LIMIT: '2', TRUST_PROXY: '10.0.0.5' });
    const viaProxy = async (i: number) =>
      (await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@example.com', password }, remoteAddress: '10.0.0.5', headers: { 'x-forwarded-for': `198.51.100.${i}` } })).statusCode;
    const direct = async (i: number) =>
      (await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'a@example.com', password }, remoteAddress: '10.0.0.6', headers: { 'x-forwarded-for': `198.51.100.${i}` } })).statusCode;
    expect([await viaProxy(1), await viaProxy(2), await viaProxy(3)]).toEqual([401, 401, 401]);
    expect([await direct(1), await direct(2), await direct(3)]).toEqual([401, 401, 429]);
  });
});

describe('signup limit per address', () => {
  it('holds across instances on one database and lets the address in again an hour later', async () => {
    const clock = createTestClock();
    const testDb = await createTestDb();
    const first = await app({ SIGNUP_RATE_LIMIT: '3', TRUST_PROXY: '1' }, { clock, testDb });
    const second = await app({ SIGNUP_RATE_LIMIT: '3', TRUST_PROXY: '1' }, { clock, testDb });
    const signUp = (t: TestApp, n: number, address: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: `farm${n}@example.com`, password }, ...from(address) });
    const codes = [];
    // The same IPv6 /64 under four addresses, through two instances.
    for (const [n, address] of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3', '2001:db8:1:2::4'].entries()) {
      codes.push((await signUp(n % 2 === 0 ? first : second, n, address)).statusCode);
    }
    expect(codes).toEqual([201, 201, 201, 429]);
    const refused = await signUp(first, 9, '2001:db8:1:2::9');
    expect(refused.json()).toMatchObject({ code: 'rate_limited', details: { retry_after_seconds: expect.any(Number) } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const { rows } = await testDb.db.query<{ n: number }>(`select count(*)::int as n from auth.users where email like 'farm%'`);
    expect(Number(rows[0]!.n)).toBe(3);
    // Another address is counted on its own; the farmed one gets in again once the hour is over.
    expect((await signUp(second, 10, '2001:db8:1:3::1')).statusCode).toBe(201);
    clock.advance(3600_000);
    expect((await signUp(first, 11, '2001:db8:1:2::1')).statusCode).toBe(201);
    await testDb.drop();
  });
});

describe('sign-in limit per account', () => {
  it('counts every address together, refuses without checking the password, and starts anew after a success', async () => {
    const clock = createTestClock();
    const t = await app({ LOGIN_ATTEMPT_LIMIT: '3', TRUST_PROXY: '1' }, { clock });
    const user = await t.signUp();
    const login = (pass: string, i: number) =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email.toUpperCase(), password: pass }, ...from(`198.51.100.${i}`) });
    expect((await login(password, 0)).statusCode).toBe(200);
    const codes = [];
    for (let i = 1; i <= 4; i++) codes.push((await login('wrong password', i)).statusCode);
    expect(codes).toEqual([401, 401, 401, 429]);
    const locked = await login(password, 5);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'too_many_login_attempts', details: { retry_after_seconds: 900 } });
    clock.advance(15 * 60_000);
    expect((await login(password, 6)).statusCode).toBe(200);
    // The success cleared the count: three more attempts are allowed.
    for (let i = 7; i <= 9; i++) expect((await login('wrong password', i)).statusCode).toBe(401);
  });

  it('counts guesses sent all at once', async () => {
    const t = await app({ LOGIN_ATTEMPT_LIMIT: '3', TRUST_PROXY: '1' });
    const user = await t.signUp();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: `wrong guess ${i}` }, ...from(`198.51.100.${i}`) }),
      ),
    );
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes.filter((c) => c === 401)).toHaveLength(3);
    expect(codes.filter((c) => c === 429)).toHaveLength(17);
  });
});

describe('password hashing under a burst of sign-ins', () => {
  it('leaves the thread pool to file reads: a download finishes ahead of the queued sign-ins', async () => {
    const t = await app({ PASSWORD_HASH_CONCURRENCY: '2' });
    await mkdir(path.join(t.mediaRoot, 'videos'), { recursive: true });
    await writeFile(path.join(t.mediaRoot, 'videos', 'clip.mp4'), Buffer.alloc(256 * 1024, 1));
    const finished: string[] = [];
    const logins = Array.from({ length: 40 }, (_, i) =>
      t.app
        .inject({ method: 'POST', url: '/api/auth/login', payload: { email: `burst${i}@example.com`, password } })
        .then((res) => finished.push(`login ${res.statusCode}`)),
    );
    // Once the first sign-in is answered, the others' hashes are all asked for. File reads are thread-pool jobs, as
    // scrypt is: unbounded, the download's reads would queue behind every one of those hashes.
    await Promise.race(logins);
    const download = t.app.inject({ method: 'GET', url: '/media/videos/clip.mp4' }).then((res) => finished.push(`media ${res.statusCode}`));
    await Promise.all([...logins, download]);
    expect(finished).toHaveLength(41);
    expect(finished.filter((f) => f === 'login 401')).toHaveLength(40);
    expect(finished.indexOf('media 200')).toBeLessThan(20);
  });
});
