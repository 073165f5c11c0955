import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asService } from '../src/db/scope.js';
import type { Deps } from '../src/deps.js';
import { CATALOG, findProduct } from '../src/domain/catalog.js';
import { runSyncPass } from '../src/domain/sync/sync-pass.js';
import { SWITCHED_OFF_REASON, SWITCHED_OFF_RECHECK_MS } from '../src/domain/sync/sync-task.js';
import { buildApp } from '../src/http/app.js';
import type { App } from '../src/http/types.js';
import { runtimeOf, syncDepsOf } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { balanceOf, createTask, generate, statusOf } from './helpers/lifecycle.js';

const CREDITS = 100;
let t: TestApp;
/** The same database and adapters with Kling switched off, as createProviders leaves it without Kling's keys. */
let off: { app: App; deps: Deps };

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: String(CREDITS) } });
  const deps: Deps = { ...t.deps, providers: { ai302: t.deps.providers.ai302! } };
  off = { app: await buildApp(deps), deps };
  await off.app.ready();
});
afterAll(async () => {
  await off?.app.close();
  await t?.close();
});

async function taskCount(userId: string): Promise<number> {
  const { rows } = await asService(t.deps.db, (tx) =>
    tx.query<{ n: number | string }>('select count(*) as n from video_generation_task_definitions where user_id = $1', [userId]),
  );
  return Number(rows[0]!.n);
}

/** One sync pass with Kling switched off; this test's tasks only. */
async function syncOff(taskIds: number[]) {
  const results = await runSyncPass(syncDepsOf(off.deps), runtimeOf(off.deps).nextLeaseOwner('sync'));
  return results.filter((r) => taskIds.includes(r.taskId));
}

describe('a provider without keys is switched off', () => {
  it.each(CATALOG.filter((p) => p.provider === 'kling').map((p) => [p.path, p] as const))(
    '%s answers 503 provider_unavailable, storing and charging nothing',
    async (_path, product) => {
      const user = await t.signUp();
      const res = await generate(off, product, user);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        error: "Kling's official API is not available on this service; nothing was charged",
        code: 'provider_unavailable',
        details: { provider: 'kling' },
      });
      expect(await balanceOf(t.deps.db, user.id)).toBe(CREDITS);
      expect(await taskCount(user.id)).toBe(0);
    },
  );

  it('answers before reading the image form, and after authentication', async () => {
    const user = await t.signUp();
    const bare = await off.app.inject({ method: 'POST', url: '/api/kling-official/i2v/5s', headers: user.auth });
    expect([bare.statusCode, bare.json().code]).toEqual([503, 'provider_unavailable']);
    const anonymous = await off.app.inject({ method: 'POST', url: '/api/kling-official/5s', payload: { prompt: 'A fox' } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('is left out of the catalog; the other provider is offered and works', async () => {
    const offered = (await off.app.inject({ method: 'GET', url: '/api/catalog' })).json<{ products: Array<{ id: string; provider: string }> }>().products;
    expect(offered.map((p) => p.id)).toEqual(CATALOG.filter((p) => p.provider === 'ai302').map((p) => p.id));
    const all = (await t.app.inject({ method: 'GET', url: '/api/catalog' })).json<{ products: unknown[] }>().products;
    expect(all).toHaveLength(CATALOG.length);

    const user = await t.signUp();
    const taskId = await createTask(off, findProduct('ai302-i2v-5s')!, user);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'pending', external_task_id: expect.stringMatching(/^\d+$/) });
    expect(await balanceOf(t.deps.db, user.id)).toBe(CREDITS - 2);
  });

  it('tasks it already had wait, uncounted, for its keys or their timeout; callbacks still complete them', async () => {
    const user = await t.signUp();
    const product = findProduct('kling-t2v-5s')!;
    // Made while Kling still had keys: one submitted, one whose creating request died before submitting it.
    const [submitted, unsubmitted, calledBack] = [await createTask(t, product, user), await createTask(t, product, user), await createTask(t, product, user)];
    await asService(t.deps.db, (tx) => tx.query('update video_generation_task_statuses set external_task_id = null where task_id = $1', [unsubmitted]));
    const ids = [submitted, unsubmitted, calledBack];
    t.clock.advance(61_000);

    const waiting = await syncOff(ids);
    expect(waiting).toHaveLength(3);
    for (const result of waiting) expect(result).toMatchObject({ success: false, newStatus: 'pending', error: 'The provider kling is switched off on this service' });
    for (const id of ids) {
      expect(await statusOf(t.deps.db, id)).toMatchObject({ status: 'pending', sync_attempts: 0, refunded: false, locked_by: null });
      expect((await statusOf(t.deps.db, id)).next_attempt_at.getTime()).toBe(t.clock.now().getTime() + SWITCHED_OFF_RECHECK_MS);
    }
    expect(await syncOff(ids)).toEqual([]);

    // The provider still calls back about its own task.
    const row = await statusOf(t.deps.db, calledBack);
    const done = { task_id: row.external_task_id, task_status: 'succeed', task_result: { videos: [{ url: `${t.simulator.url}/files/${row.external_task_id}.mp4` }] } };
    const callback = await off.app.inject({ method: 'POST', url: `/api/webhooks/kling/${row.callback_token}`, payload: done });
    expect(callback.json()).toEqual({ received: true, recorded: true });
    expect((await statusOf(t.deps.db, calledBack)).status).toBe('completed');

    // Past TASK_TIMEOUT_MS (2 h) the rest fail with their refund.
    t.clock.advance(2 * 3600_000);
    expect((await syncOff(ids)).sort((a, b) => a.taskId - b.taskId)).toMatchObject([
      { taskId: submitted, success: true, newStatus: 'failed' },
      { taskId: unsubmitted, success: true, newStatus: 'failed' },
    ]);
    for (const id of [submitted, unsubmitted]) {
      expect(await statusOf(t.deps.db, id)).toMatchObject({ status: 'failed', refunded: true, timed_out: true, error_message: SWITCHED_OFF_REASON });
    }
    expect(await balanceOf(t.deps.db, user.id)).toBe(CREDITS - product.credits);
  });
});
