import type { Queryable } from '../db.js';
import { iso } from './values.js';

export interface FavoriteRow {
  task_id: number;
  created_at: string;
}

export async function listFavorites(db: Queryable, userId: string): Promise<FavoriteRow[]> {
  const { rows } = await db.query<{ task_id: number; created_at: Date }>(
    `select task_id, created_at from user_favorites where user_id = $1 order by created_at desc, id desc limit 1000`,
    [userId],
  );
  return rows.map((r) => ({ task_id: r.task_id, created_at: iso(r.created_at) }));
}

/**
 * Favorites a task the user can see. The foreign key alone would accept any task id (it bypasses RLS), so the
 * task is looked up under the caller's RLS scope first. Resolves false when there is no such visible task.
 */
export async function addFavorite(db: Queryable, userId: string, taskId: number): Promise<boolean> {
  const visible = await db.query(`select 1 from video_generation_task_definitions where id = $1 and user_id = $2`, [taskId, userId]);
  if (visible.rowCount === 0) return false;
  await db.query(
    `insert into user_favorites (user_id, task_id) values ($1, $2) on conflict (user_id, task_id) do nothing`,
    [userId, taskId],
  );
  return true;
}

export async function removeFavorite(db: Queryable, userId: string, taskId: number): Promise<boolean> {
  const { rowCount } = await db.query(`delete from user_favorites where user_id = $1 and task_id = $2`, [userId, taskId]);
  return rowCount > 0;
}
