import type { Queryable } from '../db.js';

/** Where one task's archived video and thumbnail live in our storage. */
export interface TaskFileKeys {
  video: string;
  thumbnail: string;
}

/**
 * The task's keys: `candidate` the first time, the stored ones ever after, so a retried copy, or an instance taking
 * over an expired lease, writes the same objects. Undefined when the task no longer exists (deleted meanwhile):
 * nothing may then be stored for it. The no-op DO UPDATE (rather than DO NOTHING) makes RETURNING give the stored
 * keys even when another instance inserted them after this statement's snapshot was taken.
 */
export async function claimTaskFileKeys(db: Queryable, input: { taskId: number; candidate: TaskFileKeys }): Promise<TaskFileKeys | undefined> {
  const { rows } = await db.query<{ video_key: string; thumbnail_key: string }>(
    `insert into task_file_keys (task_id, video_key, thumbnail_key)
     select $1, $2, $3 where exists (select 1 from video_generation_task_definitions where id = $1)
     on conflict (task_id) do update set task_id = excluded.task_id
     returning video_key, thumbnail_key`,
    [input.taskId, input.candidate.video, input.candidate.thumbnail],
  );
  const r = rows[0];
  return r && { video: r.video_key, thumbnail: r.thumbnail_key };
}
