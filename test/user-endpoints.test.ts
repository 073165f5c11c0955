import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setCreditBalance } from '../src/db/queries/credits.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await createTestApp();
  user = await t.signUp();
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string> = user.auth) => t.app.inject({ method: 'GET', url, headers });

/** Marks a task completed as the sync pass would, with a given finish time. */
async function complete(taskId: number, finishedAt: string, url = `https://cdn.example/${taskId}.mp4`) {
  await t.deps.db.query(
    `update video_generation_task_statuses set status = 'completed', result_url = $2, thumbnail_url = $4, finished_at = $3 where task_id = $1`,
    [taskId, url, finishedAt, url.replace(/\.mp4$/, '.jpg')],
  );
}

describe('GET /api/user/fetch-credit', () => {
  it('answers the contract shape with signup credits, and the rest of the row as the original did', async () => {
    const res = await get('/api/user/fetch-credit');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: expect.any(Number),
      user_id: user.id,
      credits_balance: 10,
      total_credits_purchased: 0,
      total_credits_used: 0,
      level: 'free',
      last_purchase_date: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('explains the balance with the ledger after signup and a grant', async () => {
    const u = await t.signUp();
    await t.deps.db.transaction((tx) => setCreditBalance(tx, { userId: u.id, balance: 100_000, level: 'admin' }));
    const credits = (await get('/api/user/fetch-credit', u.auth)).json();
    expect(credits).toMatchObject({ credits_balance: 100_000, total_credits_purchased: 100_000, level: 'admin', last_purchase_date: expect.stringMatching(/^\d{4}-/) });
    const entries = (await get('/api/user/credit-history', u.auth)).json().entries;
    expect(entries.map((e: { reason: string; delta: number; balance_after: number }) => [e.reason, e.delta, e.balance_after])).toEqual([
      ['grant', 99_990, 100_000],
      ['signup', 10, 10],
    ]);
  });
});

describe('GET /api/user/fetch-subscription', () => {
  it('answers 404 subscription_not_found when there is none', async () => {
    const res = await get('/api/user/fetch-subscription');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'No subscription', code: 'subscription_not_found' });
  });

  it('answers the most recent one, renewal_status derived from auto_renew', async () => {
    const u = await t.signUp();
    const insert = (plan: string, autoRenew: boolean, createdAt: string) =>
      t.deps.db.query(
        `insert into user_subscriptions (user_id, plan_type, status, credits_per_period, start_date, end_date, next_renewal_date, auto_renew, created_at)
         values ($1, $2, 'active', 100, '2026-01-01', '2026-12-31T23:59:59.999Z', '2026-12-31', $3, $4)`,
        [u.id, plan, autoRenew, createdAt],
      );
    await insert('basic', true, '2026-01-01');
    await insert('premium', false, '2026-02-01');
    const res = await get('/api/user/fetch-subscription', u.auth);
    expect(res.json()).toEqual({
      id: expect.any(Number),
      user_id: u.id,
      plan_type: 'premium',
      status: 'active',
      start_date: '2026-01-01T00:00:00.000Z',
      end_date: '2026-12-31T23:59:59.999Z',
      renewal_status: 'manual',
      created_at: '2026-02-01T00:00:00.000Z',
      updated_at: expect.any(String),
    });
  });
});

describe('GET /api/user/fetch-creation', () => {
  it('lists newest first with the latest status, paged by limit and before', async () => {
    const u = await t.signUp();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: u.auth, payload: { prompt: `fox ${i}`, negative_prompt: 'blurry' } });
      ids.push(res.json().taskId);
    }
    await complete(ids[1]!, '2026-11-01T00:00:00Z');
    const first = (await get('/api/user/fetch-creation?limit=2', u.auth)).json();
    expect(first.creations.map((c: { id: number }) => c.id)).toEqual([ids[4], ids[3]]);
    expect(first.next_before).toBe(ids[3]);
    const rest = (await get(`/api/user/fetch-creation?limit=10&before=${first.next_before}`, u.auth)).json();
    expect(rest.creations.map((c: { id: number }) => c.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rest.next_before).toBeNull();
    expect(rest.creations[1]).toEqual({
      id: ids[1], user_id: u.id, task_type: 'video', model: 'kling', high_quality: false, prompt: 'fox 1', negative_prompt: 'blurry',
      cfg: 0.3, credits: 1, created_at: expect.any(String), start_img_path: null, end_img_path: null,
      additional_params: { duration: '5s', api_endpoint: 'https://api.302.ai/klingai/m2v_16_txt2video_5s' }, status: 'completed',
      result_url: `https://cdn.example/${ids[1]}.mp4`, thumbnail_url: `https://cdn.example/${ids[1]}.jpg`, error_message: null, refunded: false, updated_at: expect.any(String),
    });
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'before=-1'])('refuses %s with 400', async (query) => {
    const res = await get(`/api/user/fetch-creation?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_error');
  });
});

describe('GET /api/videos/latest', () => {
  it('returns the five newest completed videos, id as a string and title from the prompt', async () => {
    const u = await t.signUp();
    await t.deps.db.transaction((tx) => setCreditBalance(tx, { userId: u.id, balance: 20 }));
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await t.app.inject({ method: 'POST', url: '/api/kling/5s', headers: u.auth, payload: { prompt: `Video ${i}` } })).json().taskId);
    }
    for (let i = 0; i < 6; i++) await complete(ids[i]!, `2026-11-2${i}T00:00:00Z`);
    const res = await t.app.inject({ method: 'GET', url: '/api/videos/latest' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toHaveLength(5);
    expect(body[0]).toEqual({ id: String(ids[5]), videoUrl: `https://cdn.example/${ids[5]}.mp4`, thumbnailUrl: `https://cdn.example/${ids[5]}.jpg`, created_at: '2026-11-25T00:00:00.000Z', title: 'Video 5' });
    expect(body.map((v: { title: string }) => v.title)).toEqual(['Video 5', 'Video 4', 'Video 3', 'Video 2', 'Video 1']);
  });
});

describe('operations', () => {
  it('healthz answers 200 when the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('ok');
  });

  it('unknown routes get a JSON 404, and every response carries x-request-id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found' });
    expect(res.headers['x-request-id']).toMatch(/^[\w-]{8,}$/);
    const given = await t.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123-def' } });
    expect(given.headers['x-request-id']).toBe('abc-123-def');
  });

  it('serves an OpenAPI 3 document listing every route, and the docs UI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/api/kling/5s', '/api/kling/i2v/hq/10s', '/api/kling-official/i2v/5s', '/api/user/fetch-credit', '/api/videos/latest', '/api/auth/signup', '/api/auth/refresh', '/api/auth/sessions', '/api/auth/sessions/{id}']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/docs/' })).statusCode).toBe(200);
  });
});

describe('metrics', () => {
  it('exposes request durations per route and tasks per status in Prometheus format', async () => {
    await get('/api/user/fetch-credit');
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/api\/user\/fetch-credit",status="200"\} \d+/);
    expect(res.body).toMatch(/simplevideo_tasks\{status="pending"\} \d+/);
  });
});
