import type { Queryable } from '../db.js';

/**
 * Locks the account's row until the transaction ends; false when it is gone: a task being created for the account
 * meanwhile waits on this lock (its foreign key) and then fails, so none slips in between the checks and the delete.
 */
export async function lockAccount(db: Queryable, userId: string): Promise<boolean> {
  const { rowCount } = await db.query(`select 1 from auth.users where id = $1 for update`, [userId]);
  return rowCount > 0;
}

/**
 * How many of the user's tasks are still at work: pending or processing at the provider, or completed and being
 * copied to storage right now. The same rule as the owner's delete policy on tasks (migration 0011), inverted.
 */
export async function countTasksInFlight(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n
       from video_generation_task_definitions d join video_generation_task_statuses s on s.task_id = d.id
      where d.user_id = $1
        and not (s.status = 'failed' or (s.status = 'completed' and s.r2_status is distinct from 'uploading'))`,
    [userId],
  );
  return rows[0]!.n;
}

/**
 * Deletes the user's tasks; their statuses and favorites go with them (cascades), and the task_deleted trigger
 * queues their files for the archive pass to remove (migration 0011). The ledger keeps its rows, task-less.
 */
export async function deleteTasksOfUser(db: Queryable, userId: string): Promise<number> {
  const { rowCount } = await db.query(`delete from video_generation_task_definitions where user_id = $1`, [userId]);
  return rowCount;
}

/**
 * Deletes the account; its identity, credits, favorites, subscriptions, idempotency keys and sessions go with it
 * (cascades), and its ledger rows stay with no user (migration 0020).
 */
export async function deleteUser(db: Queryable, userId: string): Promise<void> {
  await db.query(`delete from auth.users where id = $1`, [userId]);
}
