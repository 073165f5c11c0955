import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../src/db/db.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { createTask, statusOf } from './helpers/lifecycle.js';
import { findProduct } from '../src/domain/catalog.js';

/**
 * Supabase's REST API gives every visitor SQL as `anon`, and every signed-in user SQL as `authenticated` with their
 * claims, one transaction per request. So each row below is an attack as that API would run it: set_config('role'),
 * set_config('request.jwt.claims'), the statement, commit. A owns the rows; B is another user; the API's own
 * checks are not involved. Expected: the rows the statement touched, or the SQLSTATE it was refused with.
 */
type Actor = 'A' | 'B' | 'anon';
type Outcome = { rows: number } | { error: string };

let t: TestApp;
let a: TestUser;
let b: TestUser;
/** A's task still in flight, A's finished task, B's finished task, the finished task of an account deleted since. */
let running: number;
let finished: number;
let ofB: number;
let ownerless: number;

async function restRequest(actor: Actor, sql: string): Promise<Outcome> {
  const role = actor === 'anon' ? 'anon' : 'authenticated';
  const claims = actor === 'anon' ? { role } : { sub: (actor === 'A' ? a : b).id, role, aud: 'authenticated' };
  try {
    return await t.deps.db.transaction(async (tx: Queryable) => {
      await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [role, JSON.stringify(claims)]);
      const res = await tx.query(sql.replaceAll(':a', `'${a.id}'`).replaceAll(':b', `'${b.id}'`).replaceAll(':running', String(running)).replaceAll(':finished', String(finished)).replaceAll(':ofB', String(ofB)).replaceAll(':ownerless', String(ownerless)));
      return { rows: res.rowCount };
    });
  } catch (error) {
    return { error: String((error as { code?: string }).code ?? error) };
  }
}

async function finish(taskId: number): Promise<void> {
  await t.deps.db.query(
    `update video_generation_task_statuses set status = 'completed', result_url = 'https://cdn.example/v.mp4', r2_status = 'completed', finished_at = now() where task_id = $1`,
    [taskId],
  );
}

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '20' } });
  a = await t.signUp();
  b = await t.signUp();
  const product = findProduct('ai302-t2v-5s')!;
  [running, finished, ofB] = [await createTask(t, product, a), await createTask(t, product, a), await createTask(t, product, b)];
  await finish(finished);
  await finish(ofB);
  // As Supabase's dashboard deletes an account: its tasks stay, their user_id set null.
  ownerless = await createTask(t, product, await t.signUp());
  await finish(ownerless);
  await t.deps.db.query('update video_generation_task_definitions set user_id = null where id = $1', [ownerless]);
  await t.app.inject({ method: 'POST', url: '/api/user/favorites', headers: a.auth, payload: { taskId: finished } });
  await t.deps.db.query(
    `insert into user_subscriptions (user_id, plan_type, status, credits_per_period, start_date, end_date, next_renewal_date)
     values ($1, 'premium', 'active', 100, now(), now() + interval '30 days', now() + interval '30 days')`,
    [a.id],
  );
  await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: { ...a.auth, 'idempotency-key': 'k1' }, payload: { prompt: 'keyed' } });
});
afterAll(() => t.close());

const DENIED = { error: '42501' };
const none = { rows: 0 };
const rows = (n: number) => ({ rows: n });

describe('reads', () => {
  it.each<[string, string, Outcome, Outcome, Outcome]>([
    // statement, then what A, B and anon get
    ['credits', 'select * from user_credits where user_id = :a', rows(1), none, DENIED],
    ['tasks', 'select * from video_generation_task_definitions where user_id = :a and id in (:running, :finished)', rows(2), none, DENIED],
    ['statuses (their columns)', 'select id, task_id, status, result_url, error_message, refunded from video_generation_task_statuses where task_id = :finished', rows(1), none, DENIED],
    ['a deleted account’s task', 'select * from video_generation_task_definitions where id = :ownerless', none, none, DENIED],
    ['a deleted account’s task status', 'select id, status, result_url from video_generation_task_statuses where task_id = :ownerless', none, none, DENIED],
    ['favorites', 'select * from user_favorites where user_id = :a', rows(1), none, DENIED],
    ['subscriptions', 'select * from user_subscriptions where user_id = :a', rows(1), none, DENIED],
    ['ledger', `select * from credit_ledger where user_id = :a`, rows(4), none, DENIED],
    ['callback tokens', 'select callback_token from video_generation_task_statuses where task_id = :finished', DENIED, DENIED, DENIED],
    ['our ids at the provider', 'select client_task_id from video_generation_task_statuses where task_id = :finished', DENIED, DENIED, DENIED],
    ['leases and provider URLs', 'select locked_by, provider_result_url from video_generation_task_statuses', DENIED, DENIED, DENIED],
    ['idempotency keys', 'select * from idempotency_keys', DENIED, DENIED, DENIED],
    ['migration records', 'select * from schema_migrations', DENIED, DENIED, DENIED],
    ['queued file deletions', 'select * from deleted_task_files', DENIED, DENIED, DENIED],
    ['storage keys of archived files', 'select * from task_file_keys', DENIED, DENIED, DENIED],
    ['auth.users', 'select * from auth.users', DENIED, DENIED, DENIED],
    ['sessions of our own accounts', 'select * from auth_sessions', DENIED, DENIED, DENIED],
    ['refresh token hashes', 'select * from auth_refresh_tokens', DENIED, DENIED, DENIED],
    ['mailed link token hashes', 'select * from auth_email_tokens', DENIED, DENIED, DENIED],
    ['get_user_credits for A', 'select * from get_user_credits(:a)', DENIED, DENIED, DENIED],
  ])('%s', async (_name, sql, byA, byB, byAnon) => {
    expect(await restRequest('A', sql)).toEqual(byA);
    expect(await restRequest('B', sql)).toEqual(byB);
    expect(await restRequest('anon', sql)).toEqual(byAnon);
  });
});

describe('writes that would cheat or deface', () => {
  it.each<[string, string]>([
    ['insert a task (the sync pass would submit it)', `insert into video_generation_task_definitions (user_id, product_id, task_type, model, credits, high_quality) values (:a, 'ai302-t2v-5s', 'video', 'kling', 0, true)`],
    ['insert a pending status for it', `insert into video_generation_task_statuses (task_id, status) values (:running, 'pending')`],
    ['insert a completed status with any URL (the public feed)', `insert into video_generation_task_statuses (task_id, status, result_url) values (:running, 'completed', 'https://evil.example/x.mp4')`],
    ['complete their own task', `update video_generation_task_statuses set status = 'completed', result_url = 'https://evil.example/x.mp4' where task_id = :running`],
    ['lower the price of their task', 'update video_generation_task_definitions set credits = 0 where id = :running'],
    ['raise the quality of their task', 'update video_generation_task_definitions set high_quality = true where id = :running'],
    ['change the product of their task', `update video_generation_task_definitions set product_id = 'kling-t2v-hq-10s' where id = :running`],
    ['change the kind of their task', `update video_generation_task_definitions set task_type = 'i2v', start_img_path = 'uploads/other/x.png' where id = :running`],
    ['give their task to B', 'update video_generation_task_definitions set user_id = :b where id = :running'],
    ['raise their balance', 'update user_credits set credits_balance = 999 where user_id = :a'],
    ['open a second credit account', `insert into user_credits (user_id, credits_balance) values (:a, 999)`],
    ['write the ledger', `insert into credit_ledger (user_id, delta, reason, balance_after) values (:a, 5, 'grant', 5)`],
    ['set the end frame of their task', `update video_generation_task_definitions set end_img_path = 'uploads/someone-elses.png' where id = :running`],
    ['charge a task at their own price', `select * from create_charged_task(:a, 'ai302-t2v-hq-10s', 'video', 'p', '', null, '16:9', null, null, 0.5, true, 1, '{}', 'ai302', 'tok', 0, null, null, 24, null)`],
    ['open a credit account', 'select open_credit_account(:a, 1000)'],
    ['change their subscription', `update user_subscriptions set plan_type = 'enterprise' where user_id = :a`],
    ['write an idempotency key', `insert into idempotency_keys (user_id, key, request_hash) values (:a, 'x', 'y')`],
    ['write a migration record', `insert into schema_migrations (name) values ('9999_evil.sql')`],
    ['end everyone’s sessions', 'delete from auth_sessions'],
    ['plant a refresh token', `insert into auth_refresh_tokens (token_hash, session_id, created_at) values ('\\x00', gen_random_uuid(), now())`],
    ['plant a password reset token', `insert into auth_email_tokens (token_hash, user_id, purpose, expires_at) values ('\\x00', :a, 'recover', now() + interval '1 day')`],
    ['empty a table', 'truncate video_generation_task_statuses'],
    ['draw ids from a sequence', `select nextval('video_generation_task_definitions_id_seq')`],
  ])('%s: refused for A and anon', async (_name, sql) => {
    expect(await restRequest('A', sql)).toEqual(DENIED);
    expect(await restRequest('anon', sql)).toEqual(DENIED);
  });

  it.each<[string, string]>([
    ['rename A’s task', `update video_generation_task_definitions set prompt = 'mine now' where id = :finished`],
    ['delete A’s finished task', 'delete from video_generation_task_definitions where id = :finished'],
    ['remove A’s favorite', 'delete from user_favorites where user_id = :a'],
  ])('B may not %s: nothing is touched', async (_name, sql) => {
    expect(await restRequest('B', sql)).toEqual(none);
  });

  it('B may not favorite A’s task, nor in A’s name', async () => {
    expect(await restRequest('B', 'insert into user_favorites (user_id, task_id) values (:b, :finished)')).toEqual(DENIED);
    expect(await restRequest('B', 'insert into user_favorites (user_id, task_id) values (:a, :ofB)')).toEqual(DENIED);
  });
});

describe('what the original front end does through the REST API keeps working, for the owner', () => {
  it('renames a task: the prompt only', async () => {
    expect(await restRequest('A', `update video_generation_task_definitions set prompt = 'A renamed fox' where id = :running`)).toEqual(rows(1));
    const res = await t.app.inject({ method: 'GET', url: `/api/user/tasks/${running}`, headers: a.auth });
    expect(res.json().prompt).toBe('A renamed fox');
  });

  it('adds and removes a favorite of their own task', async () => {
    expect(await restRequest('A', 'insert into user_favorites (user_id, task_id) values (:a, :running)')).toEqual(rows(1));
    expect(await restRequest('A', 'delete from user_favorites where user_id = :a and task_id = :running')).toEqual(rows(1));
  });

  it('deletes a finished task, not one in flight; its files are queued for removal', async () => {
    expect(await restRequest('A', 'delete from video_generation_task_definitions where id = :running')).toEqual(none);
    expect(await restRequest('A', 'delete from video_generation_task_definitions where id = :finished')).toEqual(rows(1));
    const queued = await t.deps.db.query<{ user_id: string }>('select user_id from deleted_task_files where task_id = $1', [finished]);
    expect(queued.rows).toEqual([{ user_id: a.id }]);
    // The charge stays in the ledger (its task reference cleared), so the balance is still explained.
    const ledger = await t.deps.db.query<{ n: number }>(`select count(*)::int as n from credit_ledger where user_id = $1 and reason = 'generation'`, [a.id]);
    expect(ledger.rows[0]!.n).toBe(3);
    expect((await t.app.inject({ method: 'GET', url: `/api/user/tasks/${finished}`, headers: a.auth })).statusCode).toBe(404);
    const feed = (await t.app.inject({ method: 'GET', url: '/api/videos/latest' })).json<Array<{ id: string }>>().map((v) => v.id);
    expect(feed).toContain(String(ofB));
    expect(feed).not.toContain(String(finished));
  });

  it('the feed shows what our passes recorded, never a status a user wrote', async () => {
    expect(await restRequest('A', `update video_generation_task_statuses set status = 'completed', result_url = 'https://evil.example/' where task_id = :running`)).toEqual(DENIED);
    expect((await statusOf(t.deps.db, running)).status).not.toBe('completed');
  });
});

describe('privileges of the API roles, all of them', () => {
  // Every privilege anon and authenticated hold on anything in public: an inventory, so a new table, function or
  // sequence that forgets its grants (or Supabase's default privileges handing one out) fails here.
  async function inventory(role: string): Promise<string[]> {
    const { rows } = await t.deps.db.query<{ grant: string }>(
      `select c.relname || ': ' || p.priv as grant
         from pg_class c cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'p')
          and (has_table_privilege($1, c.oid, p.priv)
               or (p.priv in ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES') and has_any_column_privilege($1, c.oid, p.priv)))
       union all
       select c.relname || ': ' || p.priv
         from pg_class c cross join unnest(array['USAGE', 'SELECT', 'UPDATE']) p(priv)
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'S' and has_sequence_privilege($1, c.oid, p.priv)
       union all
       select p.oid::regprocedure::text || ': EXECUTE'
         from pg_proc p where p.pronamespace = 'public'::regnamespace and has_function_privilege($1, p.oid, 'EXECUTE')
       order by 1`,
      [role],
    );
    return rows.map((r) => r.grant);
  }

  it('anon holds none', async () => {
    expect(await inventory('anon')).toEqual([]);
  });

  it('authenticated holds exactly what the owner-only operations need', async () => {
    expect(await inventory('authenticated')).toEqual([
      'credit_ledger: SELECT',
      'user_credits: SELECT',
      'user_favorites: DELETE',
      'user_favorites: INSERT',
      'user_favorites: SELECT',
      'user_favorites_id_seq: USAGE',
      'user_subscriptions: SELECT',
      'video_generation_task_definitions: DELETE',
      'video_generation_task_definitions: SELECT',
      'video_generation_task_definitions: UPDATE',
      'video_generation_task_statuses: SELECT',
    ]);
    const update = await t.deps.db.query<{ attname: string }>(
      `select attname from pg_attribute where attrelid = 'video_generation_task_definitions'::regclass and attnum > 0
          and has_column_privilege('authenticated', attrelid, attnum, 'UPDATE')`,
    );
    expect(update.rows.map((r) => r.attname)).toEqual(['prompt']);
  });
});

describe('through our API, as B', () => {
  it.each([
    ['GET', (): string => `/api/user/tasks/${running}`, undefined, 404],
    ['POST', (): string => '/api/user/favorites', (): { taskId: number } => ({ taskId: running }), 404],
    ['DELETE', (): string => `/api/user/favorites/${running}`, undefined, 404],
  ] as const)('%s → %i', async (method, url, payload, status) => {
    const res = await t.app.inject({ method, url: url(), headers: b.auth, payload: payload?.() });
    expect(res.statusCode).toBe(status);
  });

  it('lists none of A’s creations, favorites, ledger or subscription', async () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: b.auth });
    expect((await get('/api/user/fetch-creation')).json().creations.map((c: { id: number }) => c.id)).toEqual([ofB]);
    expect((await get('/api/user/favorites')).json().favorites).toEqual([]);
    expect((await get('/api/user/credit-history')).json().entries.every((e: { task_id: number | null }) => e.task_id === null || e.task_id === ofB)).toBe(true);
    expect((await get('/api/user/fetch-subscription')).statusCode).toBe(404);
    expect((await get('/api/user/fetch-credit')).json().user_id).toBe(b.id);
  });
});
