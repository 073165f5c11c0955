import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../src/db/db.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';

/**
 * Row level security as a table: each actor × operation on another user's (A's) rows, straight against the
 * database with the same role switching the API uses. The API's own checks are not involved here.
 */
type Actor = 'A' | 'B' | 'anon' | 'service';
type Outcome = { rows: number } | { error: string };

let t: TestApp;
let a: TestUser;
let b: TestUser;
let taskId: number;

async function as(actor: Actor, sql: string, params: unknown[] = []): Promise<Outcome> {
  const role = actor === 'A' || actor === 'B' ? 'authenticated' : actor === 'anon' ? 'anon' : 'service_role';
  const claims = actor === 'A' ? { sub: a.id, role } : actor === 'B' ? { sub: b.id, role } : { role };
  try {
    return await t.deps.db.transaction(async (tx: Queryable) => {
      await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [role, JSON.stringify(claims)]);
      const res = await tx.query(sql, params);
      return { rows: res.rowCount };
    });
  } catch (error) {
    return { error: String((error as { code?: string }).code ?? error) };
  }
}

beforeAll(async () => {
  t = await createTestApp();
  a = await t.signUp();
  b = await t.signUp();
  const res = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: a.auth, payload: { prompt: 'A private fox' } });
  taskId = res.json().taskId;
  await t.app.inject({ method: 'POST', url: '/api/user/favorites', headers: a.auth, payload: { taskId } });
  await t.deps.db.query(
    `insert into user_subscriptions (user_id, plan_type, status, credits_per_period, start_date, end_date, next_renewal_date)
     values ($1, 'premium', 'active', 100, now(), now() + interval '30 days', now() + interval '30 days')`,
    [a.id],
  );
  await t.deps.db.query(`insert into idempotency_keys (user_id, key, request_hash) values ($1, 'k1', 'h')`, [a.id]);
});
afterAll(() => t.close());

const RLS_VIOLATION = '42501';
const NONE = { rows: 0 };
const ONE = { rows: 1 };
const DENIED = { error: RLS_VIOLATION };

describe('reading A’s rows', () => {
  const reads: Array<[string, string]> = [
    ['user_credits', 'select * from user_credits where user_id = $1'],
    ['video_generation_task_definitions', 'select * from video_generation_task_definitions where user_id = $1'],
    ['video_generation_task_statuses', 'select * from video_generation_task_statuses where $1::uuid is not null and task_id = $2'],
    ['user_favorites', 'select * from user_favorites where user_id = $1'],
    ['user_subscriptions', 'select * from user_subscriptions where user_id = $1'],
    ['credit_ledger', 'select * from credit_ledger where user_id = $1 and reason = \'signup\''],
    ['idempotency_keys', 'select * from idempotency_keys where user_id = $1'],
  ];
  const expected: Record<Actor, Outcome> = { A: ONE, B: NONE, anon: NONE, service: ONE };
  for (const [table, sql] of reads) {
    for (const actor of ['A', 'B', 'anon', 'service'] as const) {
      it(`${table}: ${actor} sees ${expected[actor] === ONE ? 'it' : 'nothing'}`, async () => {
        const outcome = await as(actor, sql, sql.includes('$2') ? [a.id, taskId] : [a.id]);
        if (actor === 'anon' && 'error' in outcome) expect(outcome.error).toBe(RLS_VIOLATION);
        else expect(outcome).toEqual(expected[actor]);
      });
    }
  }
});

describe('changing A’s rows as B', () => {
  it.each([
    ['user_credits update', 'update user_credits set credits_balance = 999 where user_id = $1', NONE],
    ['user_credits insert', `insert into user_credits (user_id, credits_balance) values ($1, 999)`, DENIED],
    ['task definition update', 'update video_generation_task_definitions set prompt = $2 where user_id = $1', NONE],
    ['task definition insert for A', `insert into video_generation_task_definitions (user_id, task_type, model, credits) values ($1, 'text2video', 'kling', 1)`, DENIED],
    ['task status update', `update video_generation_task_statuses set status = 'completed' where task_id in (select id from video_generation_task_definitions where user_id = $1)`, NONE],
    ['favorite delete', 'delete from user_favorites where user_id = $1', NONE],
    ['favorite insert for A', `insert into user_favorites (user_id, task_id) select $1, max(id) from video_generation_task_definitions`, DENIED],
    ['subscription update', `update user_subscriptions set plan_type = 'free' where user_id = $1`, NONE],
    ['ledger insert', `insert into credit_ledger (user_id, delta, reason, balance_after) values ($1, 5, 'grant', 5)`, DENIED],
    ['idempotency key delete', 'delete from idempotency_keys where user_id = $1', NONE],
  ])('%s is refused', async (_name, sql, expected) => {
    const params = sql.includes('$2') ? [a.id, 'hijacked'] : [a.id];
    expect(await as('B', sql, params)).toEqual(expected);
  });

  it('B cannot charge A’s task, nor read A’s credits through get_user_credits', async () => {
    expect(await as('B', 'select charge_task($1, 1)', [taskId])).toEqual(DENIED);
    expect(await as('B', 'select * from get_user_credits($1)', [a.id])).toEqual(DENIED);
    expect(await as('A', 'select * from get_user_credits($1)', [a.id])).toEqual(DENIED);
    expect(await as('service', 'select * from get_user_credits($1)', [a.id])).toEqual(ONE);
  });

  it('create_charged_task acts for the caller alone, and anon may not call it', async () => {
    const call = (token: string) =>
      `select * from create_charged_task('text2video', 'p', '', null, '16:9', null, null, 0.5, false, 1, '{}', 'ai302', '${token}', 0, 'k1', 'h2', 24)`;
    expect(await as('anon', call('anon-token'))).toEqual(DENIED);
    // B's key "k1" is B's own: B gets a new task of B's, and A's key keeps A's request. Rolled back afterwards, so
    // the other tests still find nothing of B's.
    const rollBack = new Error('roll back');
    let keys: unknown[] = [];
    await t.deps.db
      .transaction(async (tx: Queryable) => {
        await tx.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: b.id, role: 'authenticated' })]);
        expect((await tx.query(call('b-token'))).rows).toEqual([{ outcome: 'created', task_id: expect.any(Number), status_id: expect.any(Number), request_hash: null }]);
        await tx.query(`select set_config('role', 'service_role', true)`);
        const { rows } = await tx.query(
          `select k.user_id, k.request_hash, d.user_id as owner
             from idempotency_keys k left join video_generation_task_definitions d on d.id = k.task_id
            where k.key = 'k1' order by k.user_id = $1 desc`,
          [a.id],
        );
        keys = rows;
        throw rollBack;
      })
      .catch((error: unknown) => {
        if (error !== rollBack) throw error;
      });
    expect(keys).toEqual([
      { user_id: a.id, request_hash: 'h', owner: null },
      { user_id: b.id, request_hash: 'h2', owner: b.id },
    ]);
  });

  it('A cannot raise their own balance directly', async () => {
    expect(await as('A', 'update user_credits set credits_balance = 999 where user_id = $1', [a.id])).toEqual(NONE);
    expect(await as('A', `insert into credit_ledger (user_id, delta, reason, balance_after) values ($1, 5, 'grant', 5)`, [a.id])).toEqual(DENIED);
  });
});

describe('through the API, as B', () => {
  it.each([
    ['GET', (): string => `/api/user/tasks/${taskId}`, undefined, 404],
    ['POST', (): string => '/api/user/favorites', (): { taskId: number } => ({ taskId }), 404],
    ['DELETE', (): string => `/api/user/favorites/${taskId}`, undefined, 404],
  ] as const)('%s → %i', async (method, url, payload, status) => {
    const res = await t.app.inject({ method, url: url(), headers: b.auth, payload: payload?.() });
    expect(res.statusCode).toBe(status);
  });

  it('lists none of A’s creations, favorites, ledger or subscription', async () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: b.auth });
    expect((await get('/api/user/fetch-creation')).json().creations).toEqual([]);
    expect((await get('/api/user/favorites')).json().favorites).toEqual([]);
    expect((await get('/api/user/credit-history')).json().entries.every((e: { reason: string }) => e.reason === 'signup')).toBe(true);
    expect((await get('/api/user/fetch-subscription')).statusCode).toBe(404);
    expect((await get('/api/user/fetch-credit')).json().user_id).toBe(b.id);
  });

  it('A still sees all of it', async () => {
    const get = (url: string) => t.app.inject({ method: 'GET', url, headers: a.auth });
    expect((await get(`/api/user/tasks/${taskId}`)).statusCode).toBe(200);
    expect((await get('/api/user/favorites')).json().favorites).toEqual([expect.objectContaining({ task_id: taskId })]);
    expect((await get('/api/user/fetch-subscription')).json()).toMatchObject({ plan_type: 'premium', renewal_status: 'auto' });
  });
});
