import { leaseJustCompletedTask } from '../../db/queries/archive-on-completion.js';
import { asService } from '../../db/scope.js';
import type { ArchiveDeps, ArchiveResult } from './archive-deps.js';
import { archiveLeasedTask } from './archive-task.js';

/**
 * Copies a task's files into our storage as soon as it completed, rather than at the next archive pass: until then
 * result_url points at the provider, whose address may not last (the development simulator's, a signed URL).
 * The lease is taken and committed first, and the copy made after, outside any transaction; a task someone else
 * holds or has copied is left alone. A failed copy is recorded with its backoff like a pass's, so the archive pass
 * remains the safety net. Undefined when there was nothing to do.
 */
export async function archiveCompletedTask(deps: ArchiveDeps, taskId: number, owner: string): Promise<ArchiveResult | undefined> {
  const lease = await asService(deps.db, (tx) => leaseJustCompletedTask(tx, { taskId, owner, now: deps.clock.now(), leaseMs: deps.leaseMs }));
  if (!lease) return undefined;
  return archiveLeasedTask(deps, lease, owner);
}
