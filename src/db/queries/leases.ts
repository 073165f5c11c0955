import { z } from 'zod';
import type { Queryable } from '../db.js';

/**
 * Leasing, as graphile-worker does it: one short statement picks due rows with FOR UPDATE SKIP LOCKED (so two
 * instances never pick the same row and never wait on each other) and stamps them with the owner and an expiry.
 * The caller commits at once and does its I/O afterwards; a dead owner's lease simply expires. `now` comes from
 * the injected clock so tests can move time.
 */
export interface LeaseRequest {
  owner: string;
  now: Date;
  leaseMs: number;
  limit: number;
}

const ts = z.union([z.date(), z.string()]).transform((v) => (v instanceof Date ? v : new Date(v)));
const num = z.union([z.number(), z.string()]).transform(Number);

/** A task leased by the sync pass, with what it takes to poll or resubmit it. */
export const syncLeaseSchema = z.object({
  task_id: num,
  status: z.enum(['pending', 'processing']),
  external_task_id: z.string().nullable(),
  provider: z.enum(['ai302', 'kling']).nullable(),
  sync_attempts: z.number(),
  timeout_checked: z.boolean(),
  callback_token: z.string().nullable(),
  /** Our id for the task at the provider (migration 0016). */
  client_task_id: z.string(),
  created_at: ts,
  user_id: z.string().nullable(),
  task_type: z.string(),
  prompt: z.string().nullable(),
  negative_prompt: z.string().nullable(),
  cfg: num.nullable(),
  aspect_ratio: z.string().nullable(),
  camera_type: z.string().nullable(),
  camera_value: z.string().nullable(),
  start_img_path: z.string().nullable(),
  end_img_path: z.string().nullable(),
  /** The catalog product; 'unknown' for a task of the original system that named none we sell. */
  product_id: z.string(),
  high_quality: z.boolean(),
  /** What the ledger says the task was charged; null when it never was. */
  charged_credits: num.nullable(),
});
export type SyncLease = z.output<typeof syncLeaseSchema>;

const SYNC_COLUMNS = `s.task_id, s.status, s.external_task_id, s.provider, s.sync_attempts, s.timeout_checked, s.callback_token, s.client_task_id,
  d.created_at, d.user_id, d.task_type, d.prompt, d.negative_prompt, d.cfg, d.aspect_ratio, d.camera_type, d.camera_value,
  d.start_img_path, d.end_img_path, d.product_id, d.high_quality,
  (select -l.delta from credit_ledger l where l.task_id = s.task_id and l.reason = 'generation') as charged_credits`;

/** Leases up to `limit` unfinished tasks whose next check is due and whose lease (if any) has expired. */
export async function leaseDueSyncTasks(db: Queryable, request: LeaseRequest): Promise<SyncLease[]> {
  const { rows } = await db.query(
    `with due as (
       select id from video_generation_task_statuses
        where status in ('pending', 'processing') and next_attempt_at <= $1
          and (locked_until is null or locked_until < $1)
          -- Not a task the original system wrote and we have not adopted (migration 0015).
          and exists (select 1 from video_generation_task_definitions d where d.id = task_id and d.product_id is not null)
        order by next_attempt_at
        limit $4
        for update skip locked)
     update video_generation_task_statuses s
        set locked_by = $2, locked_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
       from due, video_generation_task_definitions d
      where s.id = due.id and d.id = s.task_id
     returning ${SYNC_COLUMNS}`,
    [request.now, request.owner, request.leaseMs, request.limit],
  );
  return rows.map((row) => syncLeaseSchema.parse(row));
}

/** A completed task leased by the archive pass. */
export const archiveLeaseSchema = z.object({
  task_id: num,
  provider: z.enum(['ai302', 'kling']).nullable(),
  provider_result_url: z.string(),
  provider_thumbnail_url: z.string().nullable(),
  archive_attempts: z.number(),
});
export type ArchiveLease = z.output<typeof archiveLeaseSchema>;

const ARCHIVE_RETURNING = `returning s.task_id, s.provider, s.provider_result_url, s.provider_thumbnail_url, s.archive_attempts`;

/**
 * Leases completed tasks whose files are not in our storage yet. `uploading` rows come back once their lease has
 * expired: the instance copying them died.
 */
export async function leaseDueArchiveTasks(db: Queryable, request: LeaseRequest): Promise<ArchiveLease[]> {
  const { rows } = await db.query(
    `with due as (
       select id from video_generation_task_statuses
        where status = 'completed' and r2_status in ('pending', 'failed', 'uploading') and provider_result_url is not null
          and archive_next_attempt_at <= $1
          and (archive_locked_until is null or archive_locked_until < $1)
        order by archive_next_attempt_at
        limit $4
        for update skip locked)
     update video_generation_task_statuses s
        set r2_status = 'uploading', archive_locked_by = $2,
            archive_locked_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
       from due
      where s.id = due.id
     ${ARCHIVE_RETURNING}`,
    [request.now, request.owner, request.leaseMs, request.limit],
  );
  return rows.map((row) => archiveLeaseSchema.parse(row));
}

/** Leases one completed task for archiving now, whatever its schedule (single-task mode); undefined when busy. */
export async function leaseArchiveTask(db: Queryable, request: Omit<LeaseRequest, 'limit'> & { taskId: number }): Promise<ArchiveLease | undefined> {
  const { rows } = await db.query(
    `update video_generation_task_statuses s
        set r2_status = 'uploading', archive_locked_by = $2,
            archive_locked_until = $1::timestamptz + make_interval(secs => $3::double precision / 1000)
      where s.task_id = $4 and s.status = 'completed' and s.provider_result_url is not null
        and (s.archive_locked_until is null or s.archive_locked_until < $1)
     ${ARCHIVE_RETURNING}`,
    [request.now, request.owner, request.leaseMs, request.taskId],
  );
  return rows[0] === undefined ? undefined : archiveLeaseSchema.parse(rows[0]);
}

/**
 * Ends the leases whose owner starts with `ownerPrefix` (one process's, at shutdown), so another instance takes
 * those tasks at its next pass instead of after LEASE_MS. `locked_by` stays: a write the stopping process still
 * makes is refused once another owner has leased the row (db/queries/sync.ts, archive.ts). Each half keeps to its
 * partial index's rows, and the two never touch the same row (a task is unfinished or completed).
 */
export async function releaseLeasesOf(db: Queryable, ownerPrefix: string): Promise<{ sync: number; archive: number }> {
  const { rows } = await db.query(
    `with sync as (
       update video_generation_task_statuses set locked_until = null
        where status in ('pending', 'processing') and locked_until is not null and starts_with(locked_by, $1)
       returning 1),
     archive as (
       update video_generation_task_statuses set archive_locked_until = null
        where status = 'completed' and r2_status in ('pending', 'failed', 'uploading')
          and archive_locked_until is not null and starts_with(archive_locked_by, $1)
       returning 1)
     select (select count(*) from sync)::int as sync, (select count(*) from archive)::int as archive`,
    [ownerPrefix],
  );
  return z.object({ sync: num, archive: num }).parse(rows[0]);
}
