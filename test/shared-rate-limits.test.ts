import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTestClock } from './helpers/clock.js';
import { createTestDb, TEST_DATABASE, type TestDb } from './helpers/db.js';

/**
 * Two instances of the app on one database, as behind a load balancer: the request limits are counted in the
 * database, so requests spread over both get the limit once, not once per instance. On PostgreSQL each instance has
 * its own connection pool; on PGlite (one process) the two apps share the one connection.
 */
const LIMIT = 3;
const password = 'correct horse battery';
let testDb: TestDb;
let one: TestApp;
let two: TestApp;
const clock = createTestClock();

beforeAll(async () => {
  testDb = await createTestDb();
  const env = { GENERATION_RATE_LIMIT: String(LIMIT), AUTH_RATE_LIMIT: String(LIMIT) };
  one = await createTestApp({ env, testDb, clock });
  const second = TEST_DATABASE === 'postgres' ? { ...testDb, db: testDb.openAnother() } : testDb;
  two = await createTestApp({ env, testDb: second, clock });
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await testDb?.drop();
});

describe('request limits across two instances', () => {
  it('generation: the limit per user holds over both instances, and nothing is charged past it', async () => {
    const user = await one.signUp();
    const codes: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      const instance = i % 2 ? two : one;
      const res = await instance.app.inject({ method: 'POST', url: '/api/kling/5s', headers: user.auth, payload: { prompt: `fox ${i}` } });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429, 429, 429]);

    const refused = await two.app.inject({ method: 'POST', url: '/api/kling/5s', headers: user.auth, payload: { prompt: 'one more' } });
    expect(refused.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    const credits = await one.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: user.auth });
    expect(credits.json().credits_balance).toBe(10 - LIMIT);

    // A new window once the minute is over.
    clock.advance(61_000);
    const again = await two.app.inject({ method: 'POST', url: '/api/kling/5s', headers: user.auth, payload: { prompt: 'next minute' } });
    expect(again.statusCode).toBe(200);
  });

  it('sign-in: the limit per address holds over both instances; another address has its own', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      const instance = i % 2 ? two : one;
      const res = await instance.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password }, remoteAddress: '10.2.2.1' });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([401, 401, 401, 429, 429, 429]);
    const other = await two.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password }, remoteAddress: '10.2.2.2' });
    expect(other.statusCode).toBe(401);
  });

  it('forgets ended windows now and then', async () => {
    clock.advance(11 * 60_000);
    const res = await one.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@example.com', password }, remoteAddress: '10.2.2.3' });
    expect(res.statusCode).toBe(401);
    await vi.waitFor(async () => {
      const { rows } = await testDb.db.query<{ key: string }>('select key from rate_limit_counters');
      expect(rows.map((r) => r.key)).toEqual(['POST /api/auth/login 10.2.2.3']);
    });
  });

  it('each route counts on its own', async () => {
    const res = await one.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email: `fresh-${Date.now()}@example.com`, password }, remoteAddress: '10.2.2.1' });
    expect(res.statusCode).toBe(201);
  });
});
