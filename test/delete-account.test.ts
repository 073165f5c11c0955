import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct } from '../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { balanceOf, createTask, fileKeysOf, statusOf } from './helpers/lifecycle.js';
import { startSupabaseAuth } from './helpers/supabase-auth.js';

const PASSWORD = 'correct horse battery';
const product = findProduct('ai302-t2v-5s')!;

let t: TestApp;
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '20' } });
  owner = await t.signUp();
  other = await t.signUp();
});
afterAll(() => t?.close());

const deleteAccount = (user: TestUser, password: string) =>
  t.app.inject({ method: 'DELETE', url: '/api/auth/account', headers: user.auth, payload: { password } });

async function count(sql: string, params: unknown[]): Promise<number> {
  return (await t.deps.db.query<{ n: number }>(`select count(*)::int as n from ${sql}`, params)).rows[0]!.n;
}

/** The whole ledger's sum per reason: what deleting an account must not change. */
async function ledgerTotals(): Promise<Record<string, number>> {
  const { rows } = await t.deps.db.query<{ reason: string; total: number }>(
    'select reason, sum(delta)::int as total from credit_ledger group by reason order by reason',
  );
  return Object.fromEntries(rows.map((r) => [r.reason, r.total]));
}

/** A task made through the API, completed by the provider and copied to storage. */
async function finishedTask(user: TestUser): Promise<number> {
  const taskId = await createTask(t, product, user);
  t.clock.advance(6_000);
  await runSyncOnce(t.deps);
  await runArchiveOnce(t.deps);
  expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'completed', r2_status: 'completed' });
  return taskId;
}

const feedIds = async () => (await t.app.inject({ method: 'GET', url: '/api/videos/latest' })).json<Array<{ id: string }>>().map((v) => v.id);

describe('DELETE /api/auth/account', () => {
  it('refuses (409) while a task is in flight, and deletes nothing', async () => {
    const taskId = await createTask(t, product, owner);
    const res = await deleteAccount(owner, PASSWORD);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'tasks_in_flight' });
    expect(await count('auth.users where id = $1', [owner.id])).toBe(1);
    expect(await count('video_generation_task_definitions where id = $1', [taskId])).toBe(1);
    t.clock.advance(6_000);
    await runSyncOnce(t.deps);
    await runArchiveOnce(t.deps);
    expect((await statusOf(t.deps.db, taskId)).status).toBe('completed');
  });

  it('refuses a wrong password (403), and deletes nothing', async () => {
    const res = await deleteAccount(owner, 'not the password');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'wrong_password' });
    expect(await count('auth.users where id = $1', [owner.id])).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: owner.auth })).statusCode).toBe(200);
  });

  it('refuses a request without a session (401)', async () => {
    expect((await t.app.inject({ method: 'DELETE', url: '/api/auth/account', payload: { password: PASSWORD } })).statusCode).toBe(401);
  });

  it('deletes the account, its tasks, favorites, credits and sessions; queues its files; keeps the ledger anonymised', async () => {
    const ownTask = await finishedTask(owner);
    const othersTask = await finishedTask(other);
    expect((await t.app.inject({ method: 'POST', url: '/api/user/favorites', headers: owner.auth, payload: { taskId: ownTask } })).statusCode).toBeLessThan(300);
    expect((await t.app.inject({ method: 'POST', url: '/api/user/favorites', headers: other.auth, payload: { taskId: othersTask } })).statusCode).toBeLessThan(300);
    const ownTasks = (await t.deps.db.query<{ id: string }>('select id from video_generation_task_definitions where user_id = $1', [owner.id])).rows.map((r) => Number(r.id));
    expect(ownTasks).toContain(ownTask);
    const keys = await Promise.all(ownTasks.map(async (id) => (await fileKeysOf(t.deps.db, id))!));
    for (const k of keys) expect(await t.deps.storage.exists(k.video)).toBe(true);
    expect(await feedIds()).toContain(String(ownTask));
    const totals = await ledgerTotals();
    const ownLedgerRows = await count('credit_ledger where user_id = $1', [owner.id]);
    const anonymousBefore = await count('credit_ledger where user_id is null', []);
    const otherBalance = await balanceOf(t.deps.db, other.id);

    const res = await deleteAccount(owner, PASSWORD);
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toContain('sv_session=;');

    // The account and everything hanging from it.
    expect(await count('auth.users where id = $1', [owner.id])).toBe(0);
    expect(await count('auth.identities where user_id = $1', [owner.id])).toBe(0);
    expect(await count('user_credits where user_id = $1', [owner.id])).toBe(0);
    expect(await count('user_favorites where user_id = $1', [owner.id])).toBe(0);
    expect(await count('auth_sessions where user_id = $1', [owner.id])).toBe(0);
    expect(await count('idempotency_keys where user_id = $1', [owner.id])).toBe(0);
    expect(await count('video_generation_task_definitions where id = any($1::bigint[])', [ownTasks])).toBe(0);
    expect(await count('video_generation_task_statuses where task_id = any($1::bigint[])', [ownTasks])).toBe(0);
    // Its token no longer works; its password no longer signs in.
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: owner.auth })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/user/fetch-creation', headers: owner.auth })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: owner.email, password: PASSWORD } })).statusCode).toBe(401);
    // Its videos leave the public feed (once its one-second cache has passed); the other user's stay.
    t.clock.advance(1_000);
    const feed = await feedIds();
    expect(feed).not.toContain(String(ownTask));
    expect(feed).toContain(String(othersTask));

    // The ledger: the same rows, with no user and no task; every total unchanged.
    expect(await count('credit_ledger where user_id = $1', [owner.id])).toBe(0);
    expect(await count('credit_ledger where user_id is null', [])).toBe(anonymousBefore + ownLedgerRows);
    expect(await ledgerTotals()).toEqual(totals);

    // The other user: untouched.
    expect(await balanceOf(t.deps.db, other.id)).toBe(otherBalance);
    expect(await count('user_favorites where user_id = $1', [other.id])).toBe(1);
    const creations = (await t.app.inject({ method: 'GET', url: '/api/user/fetch-creation', headers: other.auth })).json<{ creations: Array<{ id: number }> }>();
    expect(creations.creations.map((c) => Number(c.id))).toContain(othersTask);
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: other.auth })).statusCode).toBe(200);

    // The files: queued at once, removed by a later archive pass, as for any deleted task.
    expect(await count('deleted_task_files where task_id = any($1::bigint[])', [ownTasks])).toBe(ownTasks.length);
    await t.deps.db.query(`update deleted_task_files set deleted_at = deleted_at - make_interval(secs => $1)`, [t.deps.config.LEASE_MS / 1000 + 1]);
    await runArchiveOnce(t.deps);
    for (const k of keys) {
      expect(await t.deps.storage.exists(k.video)).toBe(false);
      expect(await t.deps.storage.exists(k.thumbnail)).toBe(false);
    }
    expect(await count('deleted_task_files where task_id = any($1::bigint[])', [ownTasks])).toBe(0);
    expect(await t.deps.storage.exists((await fileKeysOf(t.deps.db, othersTask))!.video)).toBe(true);
  });
});

describe('with SUPABASE_URL', () => {
  it('is Supabase Auth’s to do: 403 whatever was sent', async () => {
    const auth = await startSupabaseAuth();
    const s = await createTestApp({ env: { SUPABASE_URL: auth.url } });
    try {
      const res = await s.app.inject({ method: 'DELETE', url: '/api/auth/account', payload: { password: PASSWORD } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'accounts_managed_by_supabase' });
    } finally {
      await s.close();
      await auth.close();
    }
  });
});
