import type { ProviderName } from '../../providers/video-provider.js';
import type { Queryable } from '../db.js';

export interface NewTask {
  userId: string;
  taskType: 'text2video' | 'image2video';
  prompt: string;
  negativePrompt: string;
  cfg: number;
  aspectRatio: string | null;
  cameraType: string | null;
  cameraValue: number | null;
  highQuality: boolean;
  credits: number;
  startImagePath: string | null;
  additionalParams: Record<string, unknown>;
}

/** Inserts the task definition (the contract's columns); the user's RLS scope allows their own rows only. */
export async function insertTaskDefinition(db: Queryable, task: NewTask): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `insert into video_generation_task_definitions
       (user_id, task_type, model, prompt, negative_prompt, start_img_path, aspect_ratio, camera_type, camera_value, cfg,
        high_quality, credits, additional_params)
     values ($1, $2, 'kling', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     returning id`,
    [
      task.userId, task.taskType, task.prompt, task.negativePrompt, task.startImagePath, task.aspectRatio, task.cameraType,
      task.cameraValue === null ? null : String(task.cameraValue), task.cfg, task.highQuality, task.credits,
      JSON.stringify(task.additionalParams),
    ],
  );
  return rows[0]!.id;
}

/**
 * The task's status row, `pending` with no external id until the provider accepts it. `next_attempt_at` lies a
 * grace period ahead, so the sync pass leaves the task to the request that is submitting it — unless that
 * request's process dies, in which case the pass picks the task up afterwards.
 */
export async function insertPendingStatus(
  db: Queryable,
  input: { taskId: number; provider: ProviderName; callbackToken: string; submitGraceMs: number },
): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `insert into video_generation_task_statuses (task_id, status, provider, callback_token, next_attempt_at)
     values ($1, 'pending', $2, $3, now() + make_interval(secs => $4::double precision / 1000))
     returning id`,
    [input.taskId, input.provider, input.callbackToken, input.submitGraceMs],
  );
  return rows[0]!.id;
}

/** Records the provider's id for a submitted task; false when something else already settled it. */
export async function markSubmitted(db: Queryable, input: { taskId: number; externalTaskId: string; nextPollAt: Date }): Promise<boolean> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set external_task_id = $2, next_attempt_at = $3, sync_attempts = 0, locked_by = null, locked_until = null, updated_at = now()
      where task_id = $1 and status = 'pending' and external_task_id is null`,
    [input.taskId, input.externalTaskId, input.nextPollAt],
  );
  return rowCount > 0;
}

export interface TaskSubmission {
  taskId: number;
  statusId: number;
  userId: string | null;
  status: string;
  externalTaskId: string | null;
  errorMessage: string | null;
  refunded: boolean;
}

/** What a replayed request needs to answer as the first one did. */
export async function findTaskSubmission(db: Queryable, taskId: number): Promise<TaskSubmission | undefined> {
  const { rows } = await db.query<TaskSubmission>(
    `select d.id as "taskId", s.id as "statusId", d.user_id as "userId", s.status, s.external_task_id as "externalTaskId",
            s.error_message as "errorMessage", s.refunded
       from video_generation_task_definitions d join video_generation_task_statuses s on s.task_id = d.id
      where d.id = $1`,
    [taskId],
  );
  return rows[0];
}
