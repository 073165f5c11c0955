import { z } from 'zod';
import type { Queryable } from '../db.js';

/**
 * Task changes found by polling (migration 0009), for when LISTEN is unavailable. A poll returns the rows changed
 * by transactions its previous snapshot could not see, and its own snapshot for the next poll: each committed
 * change is found by exactly one poll, whatever order transactions commit in. The snapshot is PostgreSQL's
 * `pg_snapshot` as text; the statement's rows and the snapshot it returns are the same view (read committed).
 */

const changeSchema = z.object({ taskId: z.union([z.number(), z.string()]).transform(Number), userId: z.string().nullable() });
const pollSchema = z.object({ snapshot: z.string(), changes: z.array(changeSchema) });

export type TaskChangePoll = z.output<typeof pollSchema>;

/** The snapshot to poll from: changes committed after it are found by the first poll. */
export async function currentTaskSnapshot(db: Queryable): Promise<string> {
  const { rows } = await db.query('select pg_current_snapshot()::text as snapshot');
  return z.object({ snapshot: z.string() }).parse(rows[0]).snapshot;
}

/** The tasks changed by transactions `since` could not see, and the snapshot to poll from next. */
export async function findTaskChangesSince(db: Queryable, since: string): Promise<TaskChangePoll> {
  const { rows } = await db.query(
    `select pg_current_snapshot()::text as snapshot,
            coalesce((select json_agg(json_build_object('taskId', s.task_id, 'userId', d.user_id) order by s.task_id)
                        from video_generation_task_statuses s
                        join video_generation_task_definitions d on d.id = s.task_id
                       where s.change_xid >= pg_snapshot_xmin($1::pg_snapshot)
                         and not pg_visible_in_snapshot(s.change_xid, $1::pg_snapshot)), '[]'::json) as changes`,
    [since],
  );
  return pollSchema.parse(rows[0]);
}
