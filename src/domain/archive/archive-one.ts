import { findArchiveTarget } from '../../db/queries/archive.js';
import { leaseArchiveTask } from '../../db/queries/leases.js';
import { asService } from '../../db/scope.js';
import { errors } from '../../errors.js';
import type { ArchiveDeps } from './archive-deps.js';
import { archiveLeasedTask } from './archive-task.js';

export interface SingleUploadRequest {
  taskId: number;
  userId: string;
  videoUrl: string;
  thumbnailUrl?: string | undefined;
}

/**
 * The contract's single-task upload, made safe: the task must belong to `userId` (else "Task not found", revealing
 * nothing), and the URLs must be exactly the ones the task's provider gave. The server downloads the stored
 * provider URLs, never an address chosen by the caller. An already archived task answers with its copies.
 */
export async function archiveOneTask(
  deps: ArchiveDeps,
  owner: string,
  request: SingleUploadRequest,
): Promise<{ taskId: number; r2VideoUrl: string; r2ThumbnailUrl: string | null }> {
  const target = await asService(deps.db, (tx) => findArchiveTarget(tx, { taskId: request.taskId, userId: request.userId }));
  if (!target) throw errors.taskNotFound();
  if (target.status !== 'completed' || !target.providerResultUrl) throw errors.taskNotCompleted();
  if (request.videoUrl !== target.providerResultUrl) {
    throw errors.urlMismatch('videoUrl must be the video URL the provider gave for this task');
  }
  if (request.thumbnailUrl !== undefined && request.thumbnailUrl !== target.providerThumbnailUrl) {
    throw errors.urlMismatch('thumbnailUrl must be the thumbnail URL the provider gave for this task');
  }
  if (target.r2Status === 'completed' && target.resultUrl) {
    return { taskId: target.taskId, r2VideoUrl: target.resultUrl, r2ThumbnailUrl: target.thumbnailUrl };
  }
  const lease = await asService(deps.db, (tx) =>
    leaseArchiveTask(tx, { taskId: target.taskId, owner, now: deps.clock.now(), leaseMs: deps.leaseMs }),
  );
  if (!lease) throw errors.archiveInProgress();
  const result = await archiveLeasedTask(deps, lease, owner);
  if (!result.success || !result.r2VideoUrl) {
    const reason = result.error ?? 'unknown error';
    throw result.refused ? errors.downloadRefused(reason) : errors.uploadFailed(reason);
  }
  return { taskId: target.taskId, r2VideoUrl: result.r2VideoUrl, r2ThumbnailUrl: result.r2ThumbnailUrl ?? null };
}
