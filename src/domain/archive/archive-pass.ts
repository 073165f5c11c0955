import { leaseDueArchiveTasks } from '../../db/queries/leases.js';
import { asService } from '../../db/scope.js';
import type { ArchiveDeps, ArchiveResult } from './archive-deps.js';
import { archiveLeasedTask } from './archive-task.js';
import { removeDeletedTaskFiles } from './remove-deleted-files.js';

/** Copies at most this many tasks at once per pass: downloads are network- and disk-bound, not provider-bound. */
const ARCHIVE_CONCURRENCY = 4;

/**
 * One archive pass: lease completed tasks whose files are not in our storage yet (committed at once), copy each,
 * record each under the lease. `owner` must be unique to this run. Deleted tasks' files are removed first.
 */
export async function runArchivePass(deps: ArchiveDeps, owner: string): Promise<ArchiveResult[]> {
  const removed = await removeDeletedTaskFiles(deps);
  if (removed > 0) deps.logger.info({ tasks: removed }, 'removed the files of deleted tasks');
  const leases = await asService(deps.db, (tx) =>
    leaseDueArchiveTasks(tx, { owner, now: deps.clock.now(), leaseMs: deps.leaseMs, limit: deps.batchSize }),
  );
  const results: ArchiveResult[] = new Array(leases.length);
  let next = 0;
  const worker = async () => {
    while (next < leases.length) {
      const index = next++;
      results[index] = await archiveLeasedTask(deps, leases[index]!, owner);
    }
  };
  await Promise.all(Array.from({ length: Math.min(ARCHIVE_CONCURRENCY, leases.length) }, worker));
  return results;
}
