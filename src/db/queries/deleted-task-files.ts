import type { Queryable } from '../db.js';
import type { TaskFileKeys } from './task-file-keys.js';

/** A task its owner deleted, whose files are still to be removed from storage. */
export interface DeletedTaskFiles {
  taskId: number;
  userId: string | null;
  startImagePath: string | null;
  /** The end frame's storage key (migration 0016), where the task had one. */
  endImagePath: string | null;
  /** The random keys an archive copy claimed for it; null when no copy under random keys ever began. */
  fileKeys: TaskFileKeys | null;
}

/**
 * Deleted tasks queued at least `ageMs` ago, so an archive copy in progress when the task was deleted has ended.
 * Measured on the database's clock, which stamped them.
 */
export async function listDeletedTaskFiles(db: Queryable, input: { ageMs: number; limit: number }): Promise<DeletedTaskFiles[]> {
  const { rows } = await db.query<{
    task_id: number | string; user_id: string | null; start_img_path: string | null; end_img_path: string | null;
    video_key: string | null; thumbnail_key: string | null;
  }>(
    `select q.task_id, q.user_id, q.start_img_path, q.end_img_path, k.video_key, k.thumbnail_key
       from deleted_task_files q left join task_file_keys k on k.task_id = q.task_id
      where q.deleted_at <= now() - make_interval(secs => $1::double precision / 1000) order by q.deleted_at limit $2`,
    [input.ageMs, input.limit],
  );
  return rows.map((r) => ({
    taskId: Number(r.task_id),
    userId: r.user_id,
    startImagePath: r.start_img_path,
    endImagePath: r.end_img_path,
    fileKeys: r.video_key === null || r.thumbnail_key === null ? null : { video: r.video_key, thumbnail: r.thumbnail_key },
  }));
}

/** Takes tasks off the queue once their files are gone, and their keys with them. */
export async function forgetDeletedTaskFiles(db: Queryable, taskIds: readonly number[]): Promise<void> {
  await db.query(
    `with forgotten as (delete from deleted_task_files where task_id = any($1::bigint[]) returning task_id)
     delete from task_file_keys where task_id in (select task_id from forgotten)`,
    [taskIds],
  );
}
