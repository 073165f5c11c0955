import { forgetDeletedTaskFiles, listDeletedTaskFiles } from '../../db/queries/deleted-task-files.js';
import { asService } from '../../db/scope.js';
import { archiveKeys, type ArchiveDeps } from './archive-deps.js';

/**
 * Removes from storage the files of tasks their owners deleted (through the REST API: the row goes at once, its
 * files here, outside any transaction). Deleting a missing file is no error, so two instances doing this at once,
 * or a pass that dies half-way, remove each file at most once more. Resolves to the number of tasks cleaned.
 */
export async function removeDeletedTaskFiles(deps: Pick<ArchiveDeps, 'db' | 'storage' | 'leaseMs' | 'batchSize'>): Promise<number> {
  const queued = await asService(deps.db, (tx) => listDeletedTaskFiles(tx, { ageMs: deps.leaseMs, limit: deps.batchSize }));
  for (const task of queued) {
    const { video, thumbnail } = archiveKeys(task.userId, task.taskId);
    const keys = task.startImagePath ? [video, thumbnail, task.startImagePath] : [video, thumbnail];
    await Promise.all(keys.map((key) => deps.storage.delete(key)));
  }
  if (queued.length > 0) await asService(deps.db, (tx) => forgetDeletedTaskFiles(tx, queued.map((t) => t.taskId)));
  return queued.length;
}
