import { afterAll, beforeAll, expect, it } from 'vitest';
import { purgeExpired } from '../src/jobs/scheduler.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { SESSION_IDLE_TIMEOUT_SECONDS: '86400' } });
});
afterAll(() => t.close());

it('the hourly purge forgets sign-in counters past their window and sessions idle past their timeout, nothing else', async () => {
  const user = await t.signUp();
  const now = t.clock.now().getTime();
  const ago = (ms: number) => new Date(now - ms).toISOString();
  await t.deps.db.query(
    `insert into auth_attempt_limits (bucket, subject, window_started_at, hits) values ('login', 'old@example.com', $1, 3), ('login', 'new@example.com', $2, 3)`,
    [ago(2 * 3600_000), ago(60_000)],
  );
  await t.deps.db.query(
    `insert into auth_sessions (id, user_id, created_at, refreshed_at) values (gen_random_uuid(), $1, $2, $2)`,
    [user.id, ago(2 * 86_400_000)],
  );
  await purgeExpired(t.deps);
  // The signup's own counter for its address is fresh too.
  const counters = await t.deps.db.query<{ subject: string }>(`select subject from auth_attempt_limits where bucket = 'login' order by subject`);
  expect(counters.rows.map((r) => r.subject)).toEqual(['new@example.com']);
  const sessions = await t.deps.db.query<{ refreshed_at: Date }>(`select refreshed_at from auth_sessions where user_id = $1`, [user.id]);
  // The session signup opened just now stays; the one idle for two days is gone.
  expect(sessions.rows).toHaveLength(1);
  expect((await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: user.auth })).statusCode).toBe(200);
});
