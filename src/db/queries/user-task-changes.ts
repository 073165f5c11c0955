import { z } from 'zod';
import type { Queryable } from '../db.js';

/**
 * What an event stream resumed with Last-Event-ID must send again (routes/user/events.ts): the user's tasks last
 * changed by a transaction the stream's snapshot could not see (the change_xid of migration 0009, exact whatever
 * order transactions commit in). As the service role (user roles may not read change_xid, migration 0011), for the
 * authenticated user only; the tasks themselves are then read in the user's scope.
 */

/** A `pg_snapshot` as text (`xmin:xmax:xip,…`): anything else is not a cursor this server issued. */
export const snapshotSchema = z.string().regex(/^\d{1,20}:\d{1,20}:(\d{1,20}(,\d{1,20})*)?$/).max(4096);

const idsSchema = z.array(z.object({ task_id: z.union([z.number(), z.string()]).transform(Number) }));

/** Ids of `userId`'s tasks changed by transactions `since` could not see, oldest change first. */
export async function findUserTasksChangedSince(db: Queryable, userId: string, since: string): Promise<number[]> {
  const { rows } = await db.query(
    `select s.task_id
       from video_generation_task_statuses s
       join video_generation_task_definitions d on d.id = s.task_id
      where d.user_id = $1 and s.change_xid >= pg_snapshot_xmin($2::pg_snapshot)
        and not pg_visible_in_snapshot(s.change_xid, $2::pg_snapshot)
      order by s.change_xid`,
    [userId, since],
  );
  return idsSchema.parse(rows).map((row) => row.task_id);
}
