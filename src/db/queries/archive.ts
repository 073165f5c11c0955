import type { Queryable } from '../db.js';

/**
 * How the archive pass records a copy. Guarded by `archive_locked_by = owner`: an instance whose lease expired
 * and was taken over writes nothing. Each update releases the archive lease.
 */

/** The files are in our storage: result_url/thumbnail_url now point at our copies (the provider's stay in their columns). */
export async function recordArchived(
  db: Queryable,
  input: { taskId: number; owner: string; resultUrl: string; thumbnailUrl: string | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set result_url = $3, thumbnail_url = $4, r2_status = 'completed', archive_error = null,
            archive_locked_by = null, archive_locked_until = null, updated_at = now()
      where task_id = $1 and archive_locked_by = $2 and status = 'completed'`,
    [input.taskId, input.owner, input.resultUrl, input.thumbnailUrl],
  );
  return rowCount > 0;
}

/**
 * The copy failed: the task stays completed, showing the provider's URL. `nextAttemptAt` null means "give up"
 * (the operator sees r2_status 'failed' with the error).
 */
export async function recordArchiveFailure(
  db: Queryable,
  input: { taskId: number; owner: string; error: string; nextAttemptAt: Date | null },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set r2_status = 'failed', archive_error = $3, archive_attempts = archive_attempts + 1, archive_next_attempt_at = $4,
            archive_locked_by = null, archive_locked_until = null
      where task_id = $1 and archive_locked_by = $2`,
    [input.taskId, input.owner, input.error.slice(0, 1000), input.nextAttemptAt],
  );
  return rowCount > 0;
}

export interface ArchiveTarget {
  taskId: number;
  status: string;
  r2Status: string | null;
  resultUrl: string | null;
  thumbnailUrl: string | null;
  providerResultUrl: string | null;
  providerThumbnailUrl: string | null;
}

/** One task of `userId`'s, for the single-task upload; undefined when there is none (or it is someone else's). */
export async function findArchiveTarget(db: Queryable, input: { taskId: number; userId: string }): Promise<ArchiveTarget | undefined> {
  const { rows } = await db.query<{
    task_id: number | string; status: string; r2_status: string | null; result_url: string | null; thumbnail_url: string | null;
    provider_result_url: string | null; provider_thumbnail_url: string | null;
  }>(
    `select s.task_id, s.status, s.r2_status, s.result_url, s.thumbnail_url, s.provider_result_url, s.provider_thumbnail_url
       from video_generation_task_statuses s join video_generation_task_definitions d on d.id = s.task_id
      where s.task_id = $1 and d.user_id::text = $2`,
    [input.taskId, input.userId],
  );
  const r = rows[0];
  return (
    r && {
      taskId: Number(r.task_id), status: r.status, r2Status: r.r2_status, resultUrl: r.result_url, thumbnailUrl: r.thumbnail_url,
      providerResultUrl: r.provider_result_url, providerThumbnailUrl: r.provider_thumbnail_url,
    }
  );
}
