import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asService } from '../src/db/scope.js';
import { findProduct } from '../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTestClock } from './helpers/clock.js';
import { balanceOf, createTask, ledgerRows, statusOf } from './helpers/lifecycle.js';

const t2v302 = findProduct('ai302-t2v-5s')!;
const HOUR = 3600_000;

describe('a provider that answers 429, 500, malformed JSON and hangs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PROVIDER_TIMEOUT_MS: '1000' } });
    t.simulator.faults.set({ hangMs: 2_000, retryAfterSeconds: 30 });
  });
  afterAll(async () => t?.close());

  it('keeps the task, backs off (honouring Retry-After), and completes it once the faults clear', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, t2v302, user);
    t.clock.advance(6_000);

    t.simulator.faults.enqueue('status429');
    expect(await runSyncOnce(t.deps)).toMatchObject([{ taskId, success: false, newStatus: 'pending' }]);
    let row = await statusOf(t.deps.db, taskId);
    expect(row).toMatchObject({ status: 'pending', sync_attempts: 1, locked_by: null });
    // Retry-After: 30 s is a floor under the 2.5–5 s backoff of a first retry.
    expect(row.next_attempt_at.getTime() - t.clock.now().getTime()).toBeGreaterThanOrEqual(30_000);
    t.clock.advance(10_000);
    expect(await runSyncOnce(t.deps)).toEqual([]);

    for (const [fault, attempts] of [['status500', 2], ['malformed', 3], ['hang', 4], ['reset', 5]] as const) {
      t.clock.advance(HOUR / 6);
      t.simulator.faults.enqueue(fault);
      expect(await runSyncOnce(t.deps), fault).toMatchObject([{ taskId, success: false }]);
      row = await statusOf(t.deps.db, taskId);
      expect(row, fault).toMatchObject({ status: 'pending', sync_attempts: attempts, refunded: false });
    }

    t.clock.advance(HOUR / 6);
    expect(await runSyncOnce(t.deps)).toMatchObject([{ taskId, success: true, newStatus: 'completed' }]);
    expect(await runArchiveOnce(t.deps)).toMatchObject([{ taskId, success: true }]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'completed', r2_status: 'completed', refunded: false });
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual([]);
  });
});

describe('timeouts', () => {
  let t: TestApp;
  const clock = createTestClock();
  beforeAll(async () => {
    // The simulator runs on the test clock, and takes 3 h per video: past our 2 h timeout.
    t = await createTestApp({ clock, simulator: { delayMs: 3 * HOUR, now: () => clock.now().getTime() } });
  });
  afterAll(async () => t?.close());

  it('asks once more past the deadline: still running → failed and refunded; a late success is recorded, refund kept', async () => {
    const user = await t.signUp();
    const early = await createTask(t, t2v302, user);
    clock.advance(1.5 * HOUR);
    const later = await createTask(t, t2v302, user);
    // created_at comes from the database's clock; put it on the test clock's time line.
    await asService(t.deps.db, (tx) => tx.query('update video_generation_task_definitions set created_at = $1 where id = $2', [clock.now(), later]));
    clock.advance(6_000);
    expect(await runSyncOnce(t.deps)).toMatchObject([{ newStatus: 'processing' }, { newStatus: 'processing' }]);

    clock.advance(0.5 * HOUR + 60_000);
    const atDeadline = await runSyncOnce(t.deps);
    expect(atDeadline).toContainEqual(expect.objectContaining({ taskId: early, newStatus: 'failed', success: true }));
    expect(await statusOf(t.deps.db, early)).toMatchObject({ status: 'failed', refunded: true, timeout_checked: true, timed_out: true });
    expect(await ledgerRows(t.deps.db, early, 'refund')).toHaveLength(1);
    const balanceAfterRefund = await balanceOf(t.deps.db, user.id);

    // The later task is past its own deadline when the provider has finished it: completed, not refunded.
    clock.advance(2.6 * HOUR);
    expect(await runSyncOnce(t.deps)).toMatchObject([{ taskId: later, newStatus: 'completed' }]);
    expect(await statusOf(t.deps.db, later)).toMatchObject({ status: 'completed', refunded: false, timeout_checked: true });

    // The provider now reports the early task done (a callback): recorded as completed, the refund stays.
    const early302Id = (await statusOf(t.deps.db, early)).external_task_id!;
    const reply = await fetch(`${t.simulator.url}/klingai/task/${early302Id}/fetch`, { headers: { authorization: 'Bearer sim-302-key' } });
    const token = (await statusOf(t.deps.db, early)).callback_token!;
    const callback = await t.app.inject({ method: 'POST', url: `/api/webhooks/302/${token}`, payload: await reply.json() });
    expect(callback.json()).toEqual({ received: true, recorded: true });
    expect(await statusOf(t.deps.db, early)).toMatchObject({ status: 'completed', refunded: true, error_message: null });
    expect(await ledgerRows(t.deps.db, early, 'refund')).toHaveLength(1);
    expect(await balanceOf(t.deps.db, user.id)).toBe(balanceAfterRefund);
  });

  it('gives a transient error on the last question one retry, then fails and refunds', async () => {
    const user = await t.signUp();
    const taskId = await createTask(t, t2v302, user);
    clock.advance(2 * HOUR + 1);
    t.simulator.faults.enqueue('status500');
    expect(await runSyncOnce(t.deps)).toMatchObject([{ taskId, success: false }]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'pending', timeout_checked: true, refunded: false });
    clock.advance(60_000);
    t.simulator.faults.enqueue('status500');
    expect(await runSyncOnce(t.deps)).toMatchObject([{ taskId, newStatus: 'failed' }]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'failed', refunded: true, timed_out: true });
  });
});
