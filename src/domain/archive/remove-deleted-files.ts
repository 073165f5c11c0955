import { forgetDeletedTaskFiles, listDeletedTaskFiles, type DeletedTaskFiles } from '../../db/queries/deleted-task-files.js';
import { asService } from '../../db/scope.js';
import type { ArchiveDeps } from './archive-deps.js';

/**
 * Removes from storage the files of tasks their owners deleted (through the REST API: the row goes at once, its
 * files here, outside any transaction). Deleting a missing file is no error, so two instances doing this at once,
 * or a pass that dies half-way, remove each file at most once more. Resolves to the number of tasks cleaned.
 */
export async function removeDeletedTaskFiles(deps: Pick<ArchiveDeps, 'db' | 'storage' | 'leaseMs' | 'batchSize'>): Promise<number> {
  const queued = await asService(deps.db, (tx) => listDeletedTaskFiles(tx, { ageMs: deps.leaseMs, limit: deps.batchSize }));
  for (const task of queued) await Promise.all(listFileKeys(task).map((key) => deps.storage.delete(key)));
  if (queued.length > 0) await asService(deps.db, (tx) => forgetDeletedTaskFiles(tx, queued.map((t) => t.taskId)));
  return queued.length;
}

/**
 * Every key that may hold one of the task's files. Besides its random keys, the contract's layout: archives made
 * before migration 0012 wrote there (and a copy that failed half-way may have left a file there before the task got
 * random keys). Nothing records which tasks those are, and deleting a missing file costs one call, so it is always
 * tried.
 */
function listFileKeys(task: DeletedTaskFiles): string[] {
  const legacy = `videos/${task.userId ?? 'unowned'}/${task.taskId}`;
  return [
    `${legacy}-video.mp4`,
    `${legacy}-thumbnail.jpg`,
    ...(task.fileKeys ? [task.fileKeys.video, task.fileKeys.thumbnail] : []),
    ...(task.startImagePath ? [task.startImagePath] : []),
    ...(task.endImagePath ? [task.endImagePath] : []),
  ];
}
