import type { Queryable } from '../db.js';

/**
 * How the sync pass and the provider callbacks record what they learned. Every write is guarded:
 * - by status, so a finished task is never moved back and a completed task is not completed twice;
 * - by `locked_by = owner` when the writer holds a lease, so an instance whose lease was taken over writes nothing.
 * `owner` null means "not leased" (a callback): only the status guard applies.
 * Each update also releases the lease.
 */
const OWNED = `($2::text is null or locked_by = $2)`;
const UNFINISHED = `status in ('pending', 'processing')`;

/** The provider says the task is still running: ask again at `nextAttemptAt`. */
export async function recordProcessing(db: Queryable, input: { taskId: number; owner: string | null; nextAttemptAt: Date }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set status = 'processing', next_attempt_at = $3, sync_attempts = 0, locked_by = null, locked_until = null,
            updated_at = case when status = 'processing' then updated_at else now() end
      where task_id = $1 and ${OWNED} and ${UNFINISHED}`,
    [input.taskId, input.owner, input.nextAttemptAt],
  );
  return rowCount > 0;
}

export type CompletionOutcome = 'completed' | 'late_after_refund' | 'unchanged';

/**
 * The provider finished the task: keep its URLs (also in their own columns, since result_url later points at our
 * copy) and queue the copy into our storage. A task our own timeout already failed and refunded may still turn
 * completed: the user gets the video and keeps the refund (`refunded` stays true).
 */
export async function recordCompleted(
  db: Queryable,
  input: { taskId: number; owner: string | null; videoUrl: string; thumbnailUrl: string | null; now: Date },
): Promise<CompletionOutcome> {
  const set = `set status = 'completed', result_url = $3, thumbnail_url = $4, provider_result_url = $3, provider_thumbnail_url = $4,
            r2_status = 'pending', archive_next_attempt_at = $5, archive_attempts = 0, archive_error = null,
            finished_at = $5, locked_by = null, locked_until = null, updated_at = now()`;
  const params = [input.taskId, input.owner, input.videoUrl, input.thumbnailUrl, input.now];
  const normal = await db.query(`update video_generation_task_statuses ${set} where task_id = $1 and ${OWNED} and ${UNFINISHED}`, params);
  if (normal.rowCount > 0) return 'completed';
  const late = await db.query(
    `update video_generation_task_statuses ${set}, error_message = null
      where task_id = $1 and $2::text is null and status = 'failed' and timed_out and refunded`,
    params,
  );
  return late.rowCount > 0 ? 'late_after_refund' : 'unchanged';
}

/** A transient failure: count it and try again at `nextAttemptAt`. */
export async function recordRetry(db: Queryable, input: { taskId: number; owner: string; nextAttemptAt: Date }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set sync_attempts = sync_attempts + 1, next_attempt_at = $3, locked_by = null, locked_until = null
      where task_id = $1 and ${OWNED} and ${UNFINISHED}`,
    [input.taskId, input.owner, input.nextAttemptAt],
  );
  return rowCount > 0;
}

/** Nothing could be asked (the task's provider is switched off): look again at `nextAttemptAt`, counting no attempt. */
export async function postponeSync(db: Queryable, input: { taskId: number; owner: string; nextAttemptAt: Date }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses set next_attempt_at = $3, locked_by = null, locked_until = null
      where task_id = $1 and ${OWNED} and ${UNFINISHED}`,
    [input.taskId, input.owner, input.nextAttemptAt],
  );
  return rowCount > 0;
}

/** Notes that the task's deadline has passed and its last question to the provider is being asked. */
export async function markTimeoutChecked(db: Queryable, input: { taskId: number; owner: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses set timeout_checked = true where task_id = $1 and ${OWNED} and ${UNFINISHED}`,
    [input.taskId, input.owner],
  );
  return rowCount > 0;
}

/**
 * Takes the row lock and checks the lease before a failure is recorded, inside the caller's transaction;
 * `timedOut` marks a failure of our own timeout (see recordCompleted). False when the lease is no longer ours.
 */
export async function claimForFailure(db: Queryable, input: { taskId: number; owner: string | null; timedOut: boolean }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses set timed_out = $3 where task_id = $1 and ${OWNED} and ${UNFINISHED}`,
    [input.taskId, input.owner, input.timedOut],
  );
  return rowCount > 0;
}

/** Records the provider's id of a task recovered after its creating process died. */
export async function recordExternalId(
  db: Queryable,
  input: { taskId: number; owner: string; externalTaskId: string; nextAttemptAt: Date },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set external_task_id = $3, next_attempt_at = $4, sync_attempts = 0, locked_by = null, locked_until = null, updated_at = now()
      where task_id = $1 and ${OWNED} and status = 'pending' and external_task_id is null`,
    [input.taskId, input.owner, input.externalTaskId, input.nextAttemptAt],
  );
  return rowCount > 0;
}

/**
 * A callback can arrive before the creating request has recorded the provider's id (the provider calls back while
 * its create reply is still on the way): adopt the reported id, so the creating request still finds it.
 */
export async function adoptExternalId(db: Queryable, input: { taskId: number; externalTaskId: string }): Promise<void> {
  await db.query(
    `update video_generation_task_statuses set external_task_id = $2 where task_id = $1 and external_task_id is null`,
    [input.taskId, input.externalTaskId],
  );
}

export interface CallbackTarget {
  taskId: number;
  provider: string | null;
  externalTaskId: string | null;
  taskType: string;
}

/** The task a provider callback is about, found by the secret token in its URL. */
export async function findTaskByCallbackToken(db: Queryable, token: string): Promise<CallbackTarget | undefined> {
  const { rows } = await db.query<{ task_id: number | string; provider: string | null; external_task_id: string | null; task_type: string }>(
    `select s.task_id, s.provider, s.external_task_id, d.task_type
       from video_generation_task_statuses s join video_generation_task_definitions d on d.id = s.task_id
      where s.callback_token = $1`,
    [token],
  );
  const row = rows[0];
  return row && { taskId: Number(row.task_id), provider: row.provider, externalTaskId: row.external_task_id, taskType: row.task_type };
}
