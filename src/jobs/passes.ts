import { releaseLeasesOf } from '../db/queries/leases.js';
import { asService } from '../db/scope.js';
import type { Deps } from '../deps.js';
import { addressPolicy } from '../domain/archive/address-policy.js';
import type { ArchiveDeps, ArchiveResult } from '../domain/archive/archive-deps.js';
import { runArchivePass } from '../domain/archive/archive-pass.js';
import type { SyncDeps, SyncResult } from '../domain/sync/sync-deps.js';
import { runSyncPass } from '../domain/sync/sync-pass.js';
import type { Log } from '../log.js';
import { jobRuntimeOf, type JobRuntime } from './runtime.js';

/** The process-wide runtime for these dependencies (shared by the scheduler and the job endpoints). */
export function runtimeOf(deps: Deps): JobRuntime {
  return jobRuntimeOf(deps, deps.config.PROVIDER_CONCURRENCY);
}

export function syncDepsOf(deps: Deps, logger: Log = deps.logger): SyncDeps {
  const { config } = deps;
  return {
    db: deps.db,
    providers: deps.providers,
    storage: deps.storage,
    clock: deps.clock,
    logger,
    allowHttpResults: config.PROVIDER_SIMULATOR,
    publicUrl: config.PUBLIC_URL,
    taskTimeoutMs: config.TASK_TIMEOUT_MS,
    leaseMs: config.LEASE_MS,
    batchSize: config.SYNC_BATCH_SIZE,
    providerSlots: runtimeOf(deps).providerSlots,
    onCompleted: (taskId) => runtimeOf(deps).notifyCompleted(taskId),
  };
}

export function archiveDepsOf(deps: Deps, logger: Log = deps.logger): ArchiveDeps {
  const { config } = deps;
  return {
    db: deps.db,
    storage: deps.storage,
    clock: deps.clock,
    logger,
    policy: addressPolicy(config.ARCHIVE_ALLOW_PRIVATE_HOSTS),
    maxBytes: config.ARCHIVE_MAX_BYTES,
    timeoutMs: config.ARCHIVE_TIMEOUT_MS,
    leaseMs: config.LEASE_MS,
    batchSize: config.ARCHIVE_BATCH_SIZE,
  };
}

/** One sync pass, under a lease owner unique to this run. */
export function runSyncOnce(deps: Deps, logger?: Log): Promise<SyncResult[]> {
  return runSyncPass(syncDepsOf(deps, logger), runtimeOf(deps).nextLeaseOwner('sync'));
}

/** One archive pass, under a lease owner unique to this run. */
export function runArchiveOnce(deps: Deps, logger?: Log): Promise<ArchiveResult[]> {
  return runArchivePass(archiveDepsOf(deps, logger), runtimeOf(deps).nextLeaseOwner('archive'));
}

/**
 * Ends every lease this process holds (sync, archive, archive at completion), at shutdown once its passes have
 * stopped: another instance then takes those tasks at its next pass instead of LEASE_MS later.
 */
export function releaseLeases(deps: Deps): Promise<{ sync: number; archive: number }> {
  return asService(deps.db, (tx) => releaseLeasesOf(tx, runtimeOf(deps).leaseOwnerPrefix));
}
