import type { ProviderName } from '../../providers/video-provider.js';
import type { Queryable } from '../db.js';
import { IDEMPOTENCY_TTL_HOURS } from './idempotency.js';
import { sqlState } from './values.js';

export interface NewTask {
  userId: string;
  productId: string;
  /** As the original wrote it: 'video' or 'i2v'. */
  taskType: string;
  prompt: string;
  negativePrompt: string;
  cfg: number;
  aspectRatio: string | null;
  cameraType: string | null;
  cameraValue: number | null;
  highQuality: boolean;
  credits: number;
  startImagePath: string | null;
  /** The end frame's storage key (Kling's image_tail), for products that take one. */
  endImagePath: string | null;
  additionalParams: Record<string, unknown>;
  provider: ProviderName;
  callbackToken: string;
  /** How long the sync pass leaves the fresh pending task to the request that is submitting it. */
  submitGraceMs: number;
  idempotency: { key: string; requestHash: string } | null;
}

export type ChargedTask =
  /** `clientTaskId`: our id for the task at the provider (Kling's external_task_id), random per task (migration 0016). */
  | { kind: 'created'; taskId: number; statusId: number; clientTaskId: string }
  /** The key's first request; `taskId` is null while that request has not committed its task. */
  | { kind: 'replay'; taskId: number | null; requestHash: string };

/** SQLSTATE raised by create_charged_task when the user is short of credits; DETAIL holds the balance. */
const INSUFFICIENT_CREDITS = 'SV402';

/**
 * Claims the Idempotency-Key, inserts the task (the contract's columns, the product, the end frame), charges it (never
 * below zero) and inserts its pending status with its client id, in one statement (create_charged_task, migrations
 * 0010 and 0016) run as the service role for a user our server has authenticated: no user role may call it, since it
 * takes the price from its caller. Short of credits, nothing is written and the balance is returned.
 */
export async function createChargedTask(db: Queryable, task: NewTask): Promise<ChargedTask | { kind: 'insufficient'; balance: number }> {
  try {
    const { rows } = await db.query<{
      outcome: 'created' | 'replay'; task_id: number | null; status_id: number | null; request_hash: string | null; client_task_id: string | null;
    }>(
      `select outcome, task_id, status_id, request_hash, client_task_id
         from create_charged_task($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
      [
        task.userId, task.productId, task.taskType, task.prompt, task.negativePrompt, task.startImagePath, task.aspectRatio, task.cameraType,
        task.cameraValue === null ? null : String(task.cameraValue), task.cfg, task.highQuality, task.credits,
        JSON.stringify(task.additionalParams), task.provider, task.callbackToken, task.submitGraceMs,
        task.idempotency?.key ?? null, task.idempotency?.requestHash ?? null, IDEMPOTENCY_TTL_HOURS, task.endImagePath,
      ],
    );
    const row = rows[0]!;
    if (row.outcome === 'replay') return { kind: 'replay', taskId: row.task_id, requestHash: row.request_hash! };
    return { kind: 'created', taskId: row.task_id!, statusId: row.status_id!, clientTaskId: row.client_task_id! };
  } catch (error) {
    if (sqlState(error) !== INSUFFICIENT_CREDITS) throw error;
    return { kind: 'insufficient', balance: Number((error as { detail?: string }).detail ?? 0) };
  }
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

/** What became of the task a request recorded without hearing back (see claimLostSubmission). */
export type LostSubmission =
  /** Committed and untouched: it is the caller's to submit, its grace renewed. */
  | { kind: 'claimed'; taskId: number; clientTaskId: string }
  /** Committed, and submitted, settled, or the sync pass's already. */
  | { kind: 'elsewhere' }
  /** Not committed (or not yet visible). */
  | { kind: 'absent' };

/**
 * Takes back the task recorded by a request whose statement lost its connection, found by the request's callback
 * token: it is the caller's to submit, with its grace renewed, while the sync pass has not touched it (its grace
 * running, never leased or attempted) and it was neither submitted nor settled.
 */
export async function claimLostSubmission(db: Queryable, input: { callbackToken: string; graceMs: number }): Promise<LostSubmission> {
  const { rows } = await db.query<{ task_id: number | string; client_task_id: string | null }>(
    `with found as (select id, task_id from video_generation_task_statuses where callback_token = $1),
          claimed as (
            update video_generation_task_statuses s
               set next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
              from found
             where s.id = found.id and s.status = 'pending' and s.external_task_id is null
               and s.locked_by is null and s.sync_attempts = 0 and s.next_attempt_at > now()
            returning s.client_task_id)
     select found.task_id, (select client_task_id from claimed) as client_task_id from found`,
    [input.callbackToken, input.graceMs],
  );
  const row = rows[0];
  if (!row) return { kind: 'absent' };
  return row.client_task_id ? { kind: 'claimed', taskId: Number(row.task_id), clientTaskId: row.client_task_id } : { kind: 'elsewhere' };
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

/**
 * How many unfinished tasks there are in each status (the metrics' queue gauge): read from the due tasks' partial
 * index, so its cost follows the queue, not the table (finished tasks, a million or more, are not counted).
 */
export async function countUnfinishedTasks(db: Queryable): Promise<Array<{ status: string; count: number }>> {
  const { rows } = await db.query<{ status: string; count: number }>(
    `select status, count(*)::int as count from video_generation_task_statuses where status in ('pending', 'processing') group by status`,
  );
  return rows.map((r) => ({ status: r.status, count: Number(r.count) }));
}
