import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { leaseDueSyncTasks } from '../src/db/queries/leases.js';
import { recordProcessing } from '../src/db/queries/sync.js';
import { asService } from '../src/db/scope.js';
import type { Deps } from '../src/deps.js';
import { findProduct } from '../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTestClock } from './helpers/clock.js';
import { TEST_DATABASE } from './helpers/db.js';
import { balanceOf, createTask, ledgerRows, statusOf } from './helpers/lifecycle.js';

const product = findProduct('ai302-t2v-5s')!;
const clock = createTestClock();
let t: TestApp;

beforeAll(async () => {
  // Videos take 60 s on the test clock, so tasks stay processing for a few passes; half of them fail.
  let seed = 42;
  t = await createTestApp({
    clock,
    env: { SIGNUP_CREDITS: '100', SYNC_BATCH_SIZE: '7' },
    simulator: { delayMs: 60_000, now: () => clock.now().getTime(), failureRate: 0.5, random: () => (seed = (seed * 16807) % 2147483647) / 2147483647 },
  });
});
afterAll(async () => t?.close());

async function createMany(count: number): Promise<{ ids: number[]; userId: string }> {
  const user = await t.signUp();
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(await createTask(t, product, user));
  return { ids, userId: user.id };
}

describe('a killed instance', () => {
  it('loses its leases when they expire: another instance takes the tasks over, the dead one can no longer write', async () => {
    const { ids } = await createMany(3);
    clock.advance(6_000);
    const dead = 'dead-instance:sync:1';
    const leased = await asService(t.deps.db, (tx) => leaseDueSyncTasks(tx, { owner: dead, now: clock.now(), leaseMs: t.deps.config.LEASE_MS, limit: 10 }));
    expect(leased.map((l) => l.task_id).sort()).toEqual([...ids].sort());

    // While the lease runs, nobody else touches those tasks.
    expect(await runSyncOnce(t.deps)).toEqual([]);
    clock.advance(t.deps.config.LEASE_MS + 1);
    const takenOver = await runSyncOnce(t.deps);
    expect(takenOver.map((r) => r.taskId).sort()).toEqual([...ids].sort());
    // The dead instance wakes up: its writes are refused.
    const late = await asService(t.deps.db, (tx) => recordProcessing(tx, { taskId: ids[0]!, owner: dead, nextAttemptAt: clock.now() }));
    expect(late).toBe(false);
    for (const id of ids) expect((await statusOf(t.deps.db, id)).locked_by).toBeNull();
  });
});

describe.skipIf(TEST_DATABASE !== 'postgres')('two scheduler instances side by side on PostgreSQL', () => {
  it('sync every task exactly once per round, lose none, refund none twice', async () => {
    const { ids, userId } = await createMany(40);
    const balanceBefore = await balanceOf(t.deps.db, userId);
    const other: Deps = { ...t.deps, db: t.testDb.openAnother() as Db };
    const instances = [t.deps, other, t.deps, other];

    for (let round = 0; round < 12; round++) {
      clock.advance(10_000);
      // Passes in a round overlap; each runs its own lease owner and repeats until nothing is due.
      const seen = new Map<number, number>();
      const results = (await Promise.all(instances.map((deps) => runSyncOnce(deps)))).flat();
      for (const r of results) seen.set(r.taskId, (seen.get(r.taskId) ?? 0) + 1);
      for (const [taskId, times] of seen) expect(times, `task ${taskId} in round ${round}`).toBe(1);
      const archive = (await Promise.all(instances.map((deps) => runArchiveOnce(deps)))).flat();
      expect(new Set(archive.map((a) => a.taskId)).size).toBe(archive.length);
    }

    let failed = 0;
    for (const id of ids) {
      const row = await statusOf(t.deps.db, id);
      expect(['completed', 'failed'], `task ${id}`).toContain(row.status);
      if (row.status === 'completed') expect(row.r2_status).toBe('completed');
      const refunds = await ledgerRows(t.deps.db, id, 'refund');
      expect(refunds).toHaveLength(row.status === 'failed' ? 1 : 0);
      if (row.status === 'failed') failed += 1;
    }
    expect(failed).toBeGreaterThan(0);
    expect(await balanceOf(t.deps.db, userId)).toBe(balanceBefore + failed * product.credits);
  });
});
