import type { Queryable } from '../db.js';

/** A task its owner deleted, whose files are still to be removed from storage. */
export interface DeletedTaskFiles {
  taskId: number;
  userId: string | null;
  startImagePath: string | null;
}

/**
 * Deleted tasks queued at least `ageMs` ago, so an archive copy in progress when the task was deleted has ended.
 * Measured on the database's clock, which stamped them.
 */
export async function listDeletedTaskFiles(db: Queryable, input: { ageMs: number; limit: number }): Promise<DeletedTaskFiles[]> {
  const { rows } = await db.query<{ task_id: number | string; user_id: string | null; start_img_path: string | null }>(
    `select task_id, user_id, start_img_path from deleted_task_files
      where deleted_at <= now() - make_interval(secs => $1::double precision / 1000) order by deleted_at limit $2`,
    [input.ageMs, input.limit],
  );
  return rows.map((r) => ({ taskId: Number(r.task_id), userId: r.user_id, startImagePath: r.start_img_path }));
}

/** Takes tasks off the queue once their files are gone. */
export async function forgetDeletedTaskFiles(db: Queryable, taskIds: readonly number[]): Promise<void> {
  await db.query(`delete from deleted_task_files where task_id = any($1::bigint[])`, [taskIds]);
}
