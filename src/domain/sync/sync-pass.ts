import { leaseDueSyncTasks, type SyncLease } from '../../db/queries/leases.js';
import { asService } from '../../db/scope.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';
import { syncLeasedTask } from './sync-task.js';

/**
 * One sync pass: lease due tasks (a short transaction, committed before any provider call), follow each one step
 * with at most PROVIDER_CONCURRENCY calls in flight per provider, record each answer under the lease.
 * `owner` must be unique to this run (see jobs/runtime.ts).
 */
export async function runSyncPass(deps: SyncDeps, owner: string): Promise<SyncResult[]> {
  const leases = await asService(deps.db, (tx) =>
    leaseDueSyncTasks(tx, { owner, now: deps.clock.now(), leaseMs: deps.leaseMs, limit: deps.batchSize }),
  );
  return Promise.all(leases.map((lease) => syncSafely(deps, lease, owner)));
}

/** A bug or a database hiccup on one task must not stop the others; its lease expires and it is tried again. */
async function syncSafely(deps: SyncDeps, lease: SyncLease, owner: string): Promise<SyncResult> {
  try {
    return await syncLeasedTask(deps, lease, owner);
  } catch (error) {
    deps.logger.error({ err: error, taskId: lease.task_id }, 'sync of one task failed unexpectedly');
    return { taskId: lease.task_id, success: false, newStatus: lease.status, error: 'Internal error while syncing' };
  }
}
