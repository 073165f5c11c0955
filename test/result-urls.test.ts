import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct } from '../src/domain/catalog.js';
import { handleProviderCallback } from '../src/domain/sync/callbacks.js';
import { UNUSABLE_RESULT_REASON } from '../src/domain/sync/record-status.js';
import { runSyncPass } from '../src/domain/sync/sync-pass.js';
import { runtimeOf, syncDepsOf } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { balanceOf, createTask, statusOf } from './helpers/lifecycle.js';

const CREDITS = 50;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: String(CREDITS) } });
});
afterAll(async () => t?.close());

function post(segment: 'kling' | '302', token: string, payload: object) {
  return t.app.inject({ method: 'POST', url: `/api/webhooks/${segment}/${token}`, payload });
}

const klingDone = (id: string, url: string) => ({ task_id: id, task_status: 'succeed', task_result: { videos: [{ id: 'v', url, duration: '5' }] } });
const ai302Done = (id: string, video: string, cover: string) => ({
  result: 1,
  data: { status: 99, task: { id, status: 99 }, works: [{ resource: { resource: video }, cover: { resource: cover } }] },
});

/** What a refused result leaves: the task failed and refunded, no provider URL stored, nothing in the public feed. */
async function expectRefused(taskId: number, userId: string) {
  expect(await statusOf(t.deps.db, taskId)).toMatchObject({
    status: 'failed',
    refunded: true,
    error_message: UNUSABLE_RESULT_REASON,
    result_url: null,
    provider_result_url: null,
    thumbnail_url: null,
    provider_thumbnail_url: null,
  });
  expect(await balanceOf(t.deps.db, userId)).toBe(CREDITS);
  const feed = (await t.app.inject({ method: 'GET', url: '/api/videos/latest' })).body;
  expect(feed).not.toMatch(/javascript:|data:text/);
}

describe('result URLs from providers', () => {
  it.each(['javascript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'not a url'])(
    'Kling callback with video URL %s: the task fails with a refund, nothing stored',
    async (url) => {
      const user = await t.signUp();
      const taskId = await createTask(t, findProduct('kling-t2v-5s')!, user);
      const row = await statusOf(t.deps.db, taskId);
      expect((await post('kling', row.callback_token!, klingDone(row.external_task_id!, url))).json()).toEqual({ received: true, recorded: true });
      await expectRefused(taskId, user.id);
    },
  );

  it('302.ai callback with a javascript: video URL: the task fails with a refund, nothing stored', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    await post('302', row.callback_token!, ai302Done(row.external_task_id!, 'javascript:alert(1)', 'https://cdn.example/c.jpg'));
    await expectRefused(taskId, user.id);
  });

  it('a thumbnail URL that is not accepted is dropped and the video kept', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    await post('302', row.callback_token!, ai302Done(row.external_task_id!, 'https://cdn.example/v.mp4', 'javascript:alert(1)'));
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({
      status: 'completed',
      provider_result_url: 'https://cdn.example/v.mp4',
      provider_thumbnail_url: null,
      thumbnail_url: null,
    });
  });

  it('plain http is refused where the simulator may not run (production without PROVIDER_SIMULATOR)', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('kling-t2v-5s')!, user);
    const row = await statusOf(t.deps.db, taskId);
    const deps = { ...syncDepsOf(t.deps), allowHttpResults: false };
    const outcome = await handleProviderCallback(deps, 'kling', row.callback_token!, klingDone(row.external_task_id!, 'http://cdn.example/v.mp4'));
    expect(outcome).toMatchObject({ kind: 'recorded', result: { success: true, newStatus: 'failed' } });
    await expectRefused(taskId, user.id);
  });

  it('polled status replies are checked the same way', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, findProduct('ai302-t2v-10s')!, user);
    t.clock.advance(6_000);
    // The simulator serves its results over loopback http: refused under production's rules.
    const deps = { ...syncDepsOf(t.deps), allowHttpResults: false };
    const results = (await runSyncPass(deps, runtimeOf(t.deps).nextLeaseOwner('sync'))).filter((r) => r.taskId === taskId);
    expect(results).toMatchObject([{ taskId, success: true, newStatus: 'failed', error: 'video URL refused: scheme http: is not accepted (https only)' }]);
    await expectRefused(taskId, user.id);
  });
});
