import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseDueArchiveTasks } from '../src/db/queries/leases.js';
import { asService } from '../src/db/scope.js';
import { archiveCompletedTask } from '../src/domain/archive/archive-completed.js';
import { archiveLeasedTask } from '../src/domain/archive/archive-task.js';
import { findProduct } from '../src/domain/catalog.js';
import { startArchiveOnCompletion } from '../src/jobs/archive-on-completion.js';
import { archiveDepsOf, runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import type { Loop } from '../src/jobs/scheduler.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTask, statusOf } from './helpers/lifecycle.js';

const t2v = findProduct('ai302-t2v-5s')!;
const FIRST_POLL_MS = 5_000;

describe('a completed task is archived at completion, without waiting for the archive pass', () => {
  let t: TestApp;
  let atCompletion: Loop;
  beforeAll(async () => {
    // The simulator's own tasks finish at once; a callback test below needs one that has not.
    t = await createTestApp({ env: { SIGNUP_CREDITS: '100' } });
    atCompletion = startArchiveOnCompletion(t.deps);
  });
  afterAll(async () => {
    await atCompletion?.stop();
    await t?.close();
  });

  it('when a poll finds it completed', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, t2v, user);
    t.clock.advance(FIRST_POLL_MS + 1);
    expect((await runSyncOnce(t.deps)).find((r) => r.taskId === taskId)).toMatchObject({ newStatus: 'completed' });
    await expect.poll(async () => (await statusOf(t.deps.db, taskId)).r2_status, { timeout: 10_000, interval: 20 }).toBe('completed');
    const row = await statusOf(t.deps.db, taskId);
    expect(row.result_url).toMatch(/^\/media\/videos\/[0-9a-f]{32}\.mp4$/);
    expect(row.provider_result_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
    // Nothing is left for the pass (no clock advanced: it was due at completion).
    expect((await runArchiveOnce(t.deps)).filter((r) => r.taskId === taskId)).toEqual([]);
  });

  it('when a provider callback reports it completed', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, t2v, user);
    const row = await statusOf(t.deps.db, taskId);
    const works = [{ resource: { resource: `${t.simulator.url}/files/large/2048.mp4` }, cover: { resource: `${t.simulator.url}/files/large/16.mp4` } }];
    const payload = { result: 1, message: 'success', data: { status: 99, message: '', task: { id: row.external_task_id, status: 99 }, works } };
    const res = await t.app.inject({ method: 'POST', url: `/api/webhooks/302/${row.callback_token}`, payload });
    expect(res.json()).toEqual({ received: true, recorded: true });
    await expect.poll(async () => (await statusOf(t.deps.db, taskId)).r2_status, { timeout: 10_000, interval: 20 }).toBe('completed');
  });

  it('stops listening when stopped: completions then wait for the pass', async () => {
    await atCompletion.stop();
    try {
      const user = await t.signUp();
      const taskId = await createTask(t, t2v, user);
      t.clock.advance(FIRST_POLL_MS + 1);
      await runSyncOnce(t.deps);
      expect((await statusOf(t.deps.db, taskId)).r2_status).toBe('pending');
      expect((await runArchiveOnce(t.deps)).filter((r) => r.taskId === taskId)).toMatchObject([{ success: true }]);
    } finally {
      atCompletion = startArchiveOnCompletion(t.deps);
    }
  });
});

describe('the copy at completion and the archive pass never copy the same task', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { SIGNUP_CREDITS: '100' } });
  });
  afterAll(async () => t?.close());

  /** A completed task nobody has copied yet (no listener: the pass's state at completion). */
  async function completedTask(): Promise<number> {
    const user = await t.signUp();
    const taskId = await createTask(t, t2v, user);
    t.clock.advance(FIRST_POLL_MS + 1);
    await runSyncOnce(t.deps);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'completed', r2_status: 'pending' });
    return taskId;
  }

  it('leaves a task alone while a pass holds its archive lease, and once the pass has copied it', async () => {
    const taskId = await completedTask();
    const deps = archiveDepsOf(t.deps);
    const leases = await asService(t.deps.db, (tx) => leaseDueArchiveTasks(tx, { owner: 'pass-1', now: t.clock.now(), leaseMs: deps.leaseMs, limit: 100 }));
    const lease = leases.find((l) => l.task_id === taskId)!;
    expect(lease).toBeDefined();
    expect(await archiveCompletedTask(deps, taskId, 'at-completion-1')).toBeUndefined();
    expect(await archiveLeasedTask(deps, lease, 'pass-1')).toMatchObject({ taskId, success: true });
    const copied = await statusOf(t.deps.db, taskId);
    // Past the lease, too: a task already copied is not copied again.
    t.clock.advance(deps.leaseMs + 1);
    expect(await archiveCompletedTask(deps, taskId, 'at-completion-2')).toBeUndefined();
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ r2_status: 'completed', result_url: copied.result_url });
  });

  it('whichever leases first copies, the other skips the task', async () => {
    const taskId = await completedTask();
    const [atCompletion, passed] = await Promise.all([archiveCompletedTask(archiveDepsOf(t.deps), taskId, 'at-completion-3'), runArchiveOnce(t.deps)]);
    const copies = [...(atCompletion ? [atCompletion] : []), ...passed.filter((r) => r.taskId === taskId)];
    expect(copies).toMatchObject([{ taskId, success: true }]);
    expect((await statusOf(t.deps.db, taskId)).r2_status).toBe('completed');
  });

  it('leaves a failed copy to the pass, with its backoff', async () => {
    const taskId = await completedTask();
    await t.deps.db.query(`update video_generation_task_statuses set provider_result_url = $2 where task_id = $1`, [taskId, `${t.simulator.url}/files/missing.mp4`]);
    expect(await archiveCompletedTask(archiveDepsOf(t.deps), taskId, 'at-completion-4')).toMatchObject({ taskId, success: false });
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ r2_status: 'failed', archive_attempts: 1 });
    expect(await archiveCompletedTask(archiveDepsOf(t.deps), taskId, 'at-completion-5')).toBeUndefined();
  });
});
