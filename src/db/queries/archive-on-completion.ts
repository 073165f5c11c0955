import type { Queryable } from '../db.js';
import { archiveLeaseSchema, type ArchiveLease } from './leases.js';

/**
 * Leases one task that has just completed, for the copy made at completion: only while its files were never
 * copied (r2_status 'pending') and no archive lease is live, so this copy and an archive pass (or the single-task
 * endpoint) never copy the same task at once, and a task already copied is not copied again. Undefined when the
 * task is not in that state: whoever holds it, or held it, does the work. Commit at once; copy after.
 */
export async function leaseJustCompletedTask(
  db: Queryable,
  request: { taskId: number; owner: string; now: Date; leaseMs: number },
): Promise<ArchiveLease | undefined> {
  const { rows } = await db.query(
    `update video_generation_task_statuses s
        set r2_status = 'uploading', archive_locked_by = $2,
            archive_locked_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
      where s.task_id = $4 and s.status = 'completed' and s.r2_status = 'pending' and s.provider_result_url is not null
        and (s.archive_locked_until is null or s.archive_locked_until < $1)
     returning s.task_id, s.provider, s.provider_result_url, s.provider_thumbnail_url, s.archive_attempts`,
    [request.now, request.owner, request.leaseMs, request.taskId],
  );
  return rows[0] === undefined ? undefined : archiveLeaseSchema.parse(rows[0]);
}
