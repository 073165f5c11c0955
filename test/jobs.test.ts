import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct } from '../src/domain/catalog.js';
import { startScheduler } from '../src/jobs/scheduler.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTask, statusOf } from './helpers/lifecycle.js';

const SECRET = 'cron-secret-0123456789';
const JOBS = [
  ['GET', '/api/check-video-status'],
  ['GET', '/api/task/update-kling-i2v-status'],
  ['POST', '/api/task/upload-to-r2'],
] as const;

describe('job endpoints without CRON_SECRET (development)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it.each(JOBS)('%s %s answers loopback callers only', async (method, url) => {
    const remote = await t.app.inject({ method, url, remoteAddress: '203.0.113.7' });
    expect(remote.statusCode).toBe(401);
    expect(remote.json()).toEqual({ error: 'Unauthorized', code: 'unauthorized' });
    const forged = await t.app.inject({ method, url, remoteAddress: '203.0.113.7', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(forged.statusCode).toBe(401);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect((await t.app.inject({ method, url, remoteAddress: address })).statusCode, address).toBe(200);
    }
  });
});

describe('job endpoints with CRON_SECRET', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CRON_SECRET: SECRET } });
  });
  afterAll(async () => t?.close());

  it.each(JOBS)('%s %s needs the right bearer token, even from loopback', async (method, url) => {
    for (const authorization of [undefined, 'Bearer wrong-secret-0123456789', `Basic ${SECRET}`, `Bearer ${SECRET}x`]) {
      const res = await t.app.inject({ method, url, headers: authorization ? { authorization } : {} });
      expect(res.statusCode, String(authorization)).toBe(401);
    }
    const ok = await t.app.inject({ method, url, remoteAddress: '203.0.113.7', headers: { authorization: `Bearer ${SECRET}` } });
    expect(ok.statusCode).toBe(200);
  });

  it('run one pass each, in the contract shapes', async () => {
    const auth = { authorization: `Bearer ${SECRET}` };
    const user = await t.signUp();
    const a = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const b = await createTask(t, findProduct('kling-t2v-5s')!, user);
    t.clock.advance(6_000);

    const check = await t.app.inject({ method: 'GET', url: '/api/check-video-status', headers: auth });
    const checked = check.json<{ message: string; results: unknown[] }>();
    expect(checked.message).toBe('Status check completed');
    expect(checked.results).toHaveLength(2);
    expect(checked.results).toEqual(expect.arrayContaining([
      { taskId: a, success: true, newStatus: 'completed', resultUrl: expect.any(String), thumbnailUrl: expect.any(String) },
      // Kling gives no thumbnail.
      { taskId: b, success: true, newStatus: 'completed', resultUrl: expect.any(String) },
    ]));

    const update = await t.app.inject({ method: 'GET', url: '/api/task/update-kling-i2v-status', headers: auth });
    expect(update.json()).toEqual({ success: true, processed: 0, updated: 0, failed: 0, duration_seconds: expect.any(Number), timestamp: expect.any(String), results: [] });

    const batch = await t.app.inject({ method: 'POST', url: '/api/task/upload-to-r2', headers: auth });
    const body = batch.json();
    expect(body).toMatchObject({ success: true, message: 'Batch upload completed', data: { tasksProcessed: 2 } });
    for (const r of body.data.results) expect(r).toEqual({ taskId: expect.any(Number), success: true, r2VideoUrl: expect.stringMatching(/^\/media\/videos\/[0-9a-f]{32}\.mp4$/), r2ThumbnailUrl: expect.stringMatching(/^\/media\/videos\/[0-9a-f]{32}\.jpg$/) });
    expect(await statusOf(t.deps.db, a)).toMatchObject({ r2_status: 'completed' });
  });
});

describe('the scheduler', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SYNC_INTERVAL_MS: '100', ARCHIVE_INTERVAL_MS: '100' } });
  });
  afterAll(async () => t?.close());

  it('runs both passes on its own and stops cleanly', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    t.clock.advance(6_000);
    const scheduler = startScheduler(t.deps);
    try {
      await expect.poll(async () => (await statusOf(t.deps.db, taskId)).r2_status, { timeout: 10_000, interval: 50 }).toBe('completed');
    } finally {
      await scheduler.stop();
    }
  });
});
