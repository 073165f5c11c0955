import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct } from '../src/domain/catalog.js';
import { buildApp } from '../src/http/app.js';
import { runArchiveOnce } from '../src/jobs/passes.js';
import { createLogger } from '../src/logger.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { balanceOf, createTask, ledgerRows, statusOf } from './helpers/lifecycle.js';

const HOUR = 3600_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ simulator: { delayMs: HOUR } });
});
afterAll(async () => t?.close());

function post(segment: 'kling' | '302', token: string, payload: unknown) {
  return t.app.inject({ method: 'POST', url: `/api/webhooks/${segment}/${token}`, payload: payload as object });
}

function klingTask(id: string, status: string, extra: object = {}) {
  return { task_id: id, task_status: status, task_status_msg: '', created_at: 1, updated_at: 2, task_info: {}, task_result: {}, ...extra };
}

function ai302Reply(id: string, status: number, works: object[] = [], message = '') {
  return { result: 1, message: 'success', data: { status, message, task: { id, status }, works } };
}

describe('provider callbacks', () => {
  it('answer 404 for an unknown token', async () => {
    expect((await post('kling', 'no-such-token-0000000000', klingTask('1', 'succeed'))).statusCode).toBe(404);
    expect((await post('302', 'no-such-token-0000000000', ai302Reply('1', 99))).statusCode).toBe(404);
  });

  it('Kling: flat or enveloped, repeated and out of order, complete the task once', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('kling-t2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    const token = row.callback_token!;
    const id = row.external_task_id!;
    // Another provider's token is not this route's.
    expect((await post('302', token, ai302Reply(id, 99))).statusCode).toBe(404);

    expect((await post('kling', token, klingTask(id, 'processing'))).json()).toEqual({ received: true, recorded: true });
    expect((await statusOf(t.deps.db, taskId)).status).toBe('processing');
    const done = klingTask(id, 'succeed', { task_result: { videos: [{ id: 'v', url: `${t.simulator.url}/files/${id}.mp4`, duration: '5' }] } });
    expect((await post('kling', token, { code: 0, message: 'SUCCEED', data: done })).json()).toEqual({ received: true, recorded: true });
    const completed = await statusOf(t.deps.db, taskId);
    expect(completed).toMatchObject({ status: 'completed', provider_result_url: `${t.simulator.url}/files/${id}.mp4`, r2_status: 'pending' });

    // Repeats and a late "processing" change nothing.
    expect((await post('kling', token, done)).json()).toEqual({ received: true, recorded: false });
    expect((await post('kling', token, klingTask(id, 'processing'))).json()).toEqual({ received: true, recorded: false });
    expect((await post('kling', token, klingTask(id, 'failed', { task_status_msg: 'late failure' }))).json()).toEqual({ received: true, recorded: false });
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'completed', refunded: false, finished_at: completed.finished_at });
    // A report about another provider task is ignored; garbage is acknowledged and ignored.
    expect((await post('kling', token, klingTask('other', 'failed'))).json()).toEqual({ received: true, recorded: false });
    expect((await post('kling', token, { hello: 'world' })).json()).toEqual({ received: true, recorded: false });
  });

  it('302.ai: a failure delivered three times, even concurrently, refunds once', async () => {
    const user = await t.signUp();
    const before = await balanceOf(t.deps.db, user.id);
    const taskId = await createTask(t, findProduct('ai302-t2v-10s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    const failed = ai302Reply(row.external_task_id!, 50, [], 'content policy');
    const replies = await Promise.all([1, 2, 3].map(() => post('302', row.callback_token!, failed)));
    expect(replies.map((r) => r.json().recorded).filter(Boolean)).toHaveLength(1);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'failed', refunded: true, error_message: 'content policy' });
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toHaveLength(1);
    expect(await balanceOf(t.deps.db, user.id)).toBe(before);
    // A success after a provider failure (not our timeout) does not resurrect the task.
    const late = ai302Reply(row.external_task_id!, 99, [{ resource: { resource: 'http://x/v.mp4' }, cover: { resource: 'http://x/c.jpg' } }]);
    expect((await post('302', row.callback_token!, late)).json()).toEqual({ received: true, recorded: false });
  });

  it('302.ai: a report must name its task; one naming none, or another, is ignored whatever it says', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    const video = `${t.simulator.url}/files/${row.external_task_id}.mp4`;
    const works = [{ resource: { resource: video }, cover: { resource: `${t.simulator.url}/files/${row.external_task_id}.jpg` } }];
    const official = (id?: string) => ({ code: 0, data: { ...(id && { task_id: id }), task_status: 'succeed', task_result: { videos: [{ url: video }] } } });
    const ignored = [
      { result: 1, message: 'success', data: { status: 99, works } },
      { result: 1, message: 'success', data: { status: 99, task: { status: 99 }, works } },
      official(),
      official('another-task'),
      ai302Reply('another-task', 99, works),
      ai302Reply('another-task', 50, [], 'failed elsewhere'),
    ];
    for (const body of ignored) expect((await post('302', row.callback_token!, body)).json()).toEqual({ received: true, recorded: false });
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'pending', provider_result_url: null, refunded: false });

    expect((await post('302', row.callback_token!, official(row.external_task_id!))).json()).toEqual({ received: true, recorded: true });
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'completed', provider_result_url: video });
  });

  it('Kling: a report without task_id is ignored, flat or enveloped', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('kling-i2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    const { task_id: _id, ...nameless } = klingTask(row.external_task_id!, 'failed', { task_status_msg: 'nope' });
    for (const body of [nameless, { code: 0, message: 'SUCCEED', data: nameless }]) {
      expect((await post('kling', row.callback_token!, body)).json()).toEqual({ received: true, recorded: false });
    }
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'pending', refunded: false });
  });

  it('302.ai: a success is archived by the next archive pass', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    t.clock.advance(HOUR + 1);
    // The simulator's own task needs an hour of real time: the report points at its test files instead.
    const works = [{ resource: { resource: `${t.simulator.url}/files/large/2048.mp4` }, cover: { resource: `${t.simulator.url}/files/large/16.mp4` } }];
    expect((await post('302', row.callback_token!, ai302Reply(row.external_task_id!, 99, works))).json()).toEqual({ received: true, recorded: true });
    const archived = (await runArchiveOnce(t.deps)).filter((r) => r.taskId === taskId);
    expect(archived).toMatchObject([{ success: true }]);
  });
});

describe('logs', () => {
  it('never carry the callback token, Authorization or cookies', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await buildApp({ ...t.deps, logger: createLogger({ LOG_LEVEL: 'trace' }, stream) });
    try {
      const user = await t.signUp();
      const taskId = await createTask(t, findProduct('kling-t2v-5s')!, user);
      const row = await statusOf(t.deps.db, taskId);
      const token = row.callback_token!;
      const headers = { ...user.auth, cookie: `sv_session=${user.token}; other=cookie-secret-value` };
      const json = { ...headers, 'content-type': 'application/json' };
      const hits = [
        { url: `/api/webhooks/kling/${token}`, payload: JSON.stringify(klingTask(row.external_task_id!, 'processing')) },
        { url: `/api/webhooks/kling/${token}?token=${token}`, payload: JSON.stringify({ hello: 'world' }) },
        { url: `/api/webhooks/302/${token}`, payload: JSON.stringify(ai302Reply('1', 10)) },
        { url: `/api/webhooks/kling/${token}`, payload: '{not json' },
        { url: `/api/webhooks/kling/${token}/more`, payload: '{}' },
      ];
      const statuses = [];
      for (const hit of hits) statuses.push((await logged.inject({ method: 'POST', url: hit.url, headers: json, payload: hit.payload })).statusCode);
      expect(statuses).toEqual([200, 200, 404, 400, 404]);
      await logged.inject({ method: 'GET', url: '/api/auth/me', headers });

      const text = lines.join('');
      expect(text).toContain('/api/webhooks/kling/[redacted]');
      for (const secret of [token, user.token, 'cookie-secret-value']) expect(text).not.toContain(secret);
    } finally {
      await logged.close();
    }
  });
});

// Skipped until createGenerationTask passes the task's callbackToken to submitToProvider (today it submits without a
// callback URL). With that three-line change this test passes: see the lifecycle report.
describe('with PUBLIC_URL set, the simulator calls back', () => {
  let c: TestApp;
  beforeAll(async () => {
    const port = await freePort();
    c = await createTestApp({ env: { PUBLIC_URL: `http://127.0.0.1:${port}`, SIGNUP_CREDITS: '50' } });
    await c.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(async () => c?.close());

  it('every product completes from its callbacks alone, even when the callback beats the create reply', async () => {
    const user = await c.signUp();
    const ids: number[] = [];
    for (const productId of ['ai302-t2v-5s', 'ai302-i2v-5s', 'kling-t2v-5s', 'kling-i2v-5s']) ids.push(await createTask(c, findProduct(productId)!, user));
    for (const id of ids) {
      await expect.poll(async () => (await statusOf(c.deps.db, id)).status, { timeout: 5_000, interval: 50 }).toBe('completed');
      expect((await statusOf(c.deps.db, id)).external_task_id).toMatch(/^\d+$/);
    }
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
