import { recordArchived, recordArchiveFailure } from '../../db/queries/archive.js';
import type { ArchiveLease } from '../../db/queries/leases.js';
import { claimTaskFileKeys, type TaskFileKeys } from '../../db/queries/task-file-keys.js';
import { asService } from '../../db/scope.js';
import { StorageError } from '../../storage/object-storage.js';
import { ARCHIVE_BACKOFF, backoffDelayMs } from '../sync/backoff.js';
import { newArchiveKeys, type ArchiveDeps, type ArchiveResult } from './archive-deps.js';
import { DownloadError, safeGet } from './safe-fetch.js';
import { hasFfmpeg, makeThumbnail } from './thumbnail.js';

/**
 * Copies tried before a task is left with r2_status 'failed' for the operator: at most about 20 h of backoff. Only
 * failures of the task's own download count toward it (see recordFailure).
 */
export const MAX_ARCHIVE_ATTEMPTS = 12;

/** What copying files into storage needs: no database, so the smoke command copies the same way. */
export type CopyDeps = Pick<ArchiveDeps, 'storage' | 'policy' | 'maxBytes' | 'timeoutMs'>;

/**
 * Copies one leased task's video and thumbnail from the provider into our storage, streamed with a size cap, then
 * points result_url/thumbnail_url at the copies. On failure the task stays completed with the provider's URLs and
 * is tried again later; an address our SSRF rules refuse is never retried.
 */
export async function archiveLeasedTask(deps: ArchiveDeps, lease: ArchiveLease, owner: string): Promise<ArchiveResult> {
  const taskId = lease.task_id;
  try {
    // Claimed before any byte is stored: a deletion's removal pass then knows every key that may hold a file.
    const keys = await asService(deps.db, (tx) => claimTaskFileKeys(tx, { taskId, candidate: newArchiveKeys() }));
    if (!keys) return { taskId, success: false, error: 'The task was deleted' };
    const { resultUrl, thumbnailUrl } = await storeResultFiles(
      deps,
      { videoUrl: lease.provider_result_url, thumbnailUrl: lease.provider_thumbnail_url },
      keys,
    );
    const recorded = await asService(deps.db, (tx) => recordArchived(tx, { taskId, owner, resultUrl, thumbnailUrl }));
    if (!recorded) return { taskId, success: false, error: 'The archive lease was taken over by another instance' };
    return { taskId, success: true, r2VideoUrl: resultUrl, ...(thumbnailUrl ? { r2ThumbnailUrl: thumbnailUrl } : {}) };
  } catch (error) {
    return recordFailure(deps, lease, owner, error);
  }
}

/**
 * Copies a finished task's video, and its thumbnail (or, without one, a frame ffmpeg takes from the video) into
 * storage under `keys`; resolves their public addresses. Throws DownloadError or StorageError (see describe).
 */
export async function storeResultFiles(
  deps: CopyDeps,
  urls: { videoUrl: string; thumbnailUrl: string | null },
  keys: TaskFileKeys,
): Promise<{ resultUrl: string; thumbnailUrl: string | null }> {
  await copy(deps, urls.videoUrl, keys.video, 'video/mp4');
  const thumbnailStored = urls.thumbnailUrl
    ? (await copy(deps, urls.thumbnailUrl, keys.thumbnail, 'image/jpeg'), true)
    : (await hasFfmpeg()) && (await makeThumbnail(deps.storage, keys.video, keys.thumbnail));
  return { resultUrl: deps.storage.publicUrl(keys.video), thumbnailUrl: thumbnailStored ? deps.storage.publicUrl(keys.thumbnail) : null };
}

async function recordFailure(deps: ArchiveDeps, lease: ArchiveLease, owner: string, error: unknown): Promise<ArchiveResult> {
  const refused = error instanceof DownloadError && error.kind === 'refused';
  const message = describe(error);
  const attempts = lease.archive_attempts + 1;
  // Our own storage away or full is no fault of the task: such a failure never ends its retries, so the copy
  // resumes, every 6 h at most, whenever storage returns (an outage over a weekend included).
  const storageDown = error instanceof StorageError && (error.kind === 'unavailable' || error.kind === 'full');
  const giveUp = refused || (attempts >= MAX_ARCHIVE_ATTEMPTS && !storageDown);
  const delay = backoffDelayMs(lease.archive_attempts, { ...ARCHIVE_BACKOFF, random: deps.random });
  const nextAttemptAt = giveUp ? null : new Date(deps.clock.now().getTime() + delay);
  // A full volume fails every copy until someone frees space: that is the operator's to fix, so it is an error.
  const log = error instanceof StorageError && error.kind === 'full' ? deps.logger.error : deps.logger.warn;
  log.call(deps.logger, { taskId: lease.task_id, err: error, attempts, giveUp }, 'archive copy failed');
  await asService(deps.db, (tx) => recordArchiveFailure(tx, { taskId: lease.task_id, owner, error: message, nextAttemptAt }));
  return { taskId: lease.task_id, success: false, error: message, ...(refused ? { refused } : {}) };
}

/** Streams one file from the provider into storage: never whole in memory, at most `maxBytes`. */
async function copy(deps: CopyDeps, url: string, key: string, contentType: string): Promise<void> {
  const response = await safeGet(url, { policy: deps.policy, timeoutMs: deps.timeoutMs });
  if (response.contentLength !== undefined && response.contentLength > deps.maxBytes) {
    response.body.destroy();
    throw new StorageError('too_large', `The file is larger than the limit of ${deps.maxBytes} bytes`);
  }
  await deps.storage.put(key, response.body, { contentType, maxBytes: deps.maxBytes });
}

function describe(error: unknown): string {
  if (error instanceof DownloadError) return error.message;
  if (error instanceof StorageError) return error.kind === 'too_large' ? error.message : `Upload failed: ${error.message}`;
  return 'Upload failed: unexpected error';
}
