import type { Queryable } from '../db.js';
import { iso } from './values.js';

/** One task with its latest status, in the contract's `fetch-creation` shape (plus `refunded` and `updated_at`). */
export interface CreationRow {
  id: number;
  user_id: string | null;
  task_type: string;
  model: string;
  high_quality: boolean;
  prompt: string | null;
  negative_prompt: string | null;
  cfg: number | null;
  credits: number;
  created_at: string;
  start_img_path: string | null;
  /** The end frame's storage key, where one was given (never served by URL, like the start image). */
  end_img_path: string | null;
  additional_params: Record<string, unknown> | null;
  status: string;
  result_url: string | null;
  thumbnail_url: string | null;
  error_message: string | null;
  refunded: boolean;
  updated_at: string;
}

type Raw = Omit<CreationRow, 'created_at' | 'updated_at' | 'cfg'> & { created_at: Date; updated_at: Date; cfg: number | string | null };

const SELECT = `
  select d.id, d.user_id, d.task_type, d.model, d.high_quality, d.prompt, d.negative_prompt, d.cfg, d.credits,
         d.created_at, d.start_img_path, d.end_img_path, d.additional_params,
         s.status, s.result_url, s.thumbnail_url, s.error_message, s.refunded, s.updated_at
    from video_generation_task_definitions d
    join video_generation_task_statuses s on s.task_id = d.id`;

function toCreation(r: Raw): CreationRow {
  return {
    ...r,
    cfg: r.cfg === null ? null : Number(r.cfg),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

/** The user's tasks, newest first; `before` is a task id for paging. */
export async function listCreations(db: Queryable, userId: string, page: { limit: number; before?: number }): Promise<CreationRow[]> {
  const { rows } = await db.query<Raw>(
    `${SELECT} where d.user_id = $1 and ($2::bigint is null or d.id < $2) order by d.id desc limit $3`,
    [userId, page.before ?? null, page.limit],
  );
  return rows.map(toCreation);
}

/** One task of the user's, or undefined. */
export async function findCreation(db: Queryable, userId: string, taskId: number): Promise<CreationRow | undefined> {
  const { rows } = await db.query<Raw>(`${SELECT} where d.id = $1 and d.user_id = $2`, [taskId, userId]);
  return rows[0] && toCreation(rows[0]);
}

export interface LatestVideoRow {
  id: number;
  videoUrl: string;
  /** The original's front end shows it when present. */
  thumbnailUrl: string | null;
  created_at: string;
  title: string;
}

/** The newest completed videos across all users: only public fields. */
export async function listLatestVideos(db: Queryable, limit: number): Promise<LatestVideoRow[]> {
  const { rows } = await db.query<{ id: number; video_url: string; thumbnail_url: string | null; created_at: Date; title: string | null }>(
    `select d.id, s.result_url as video_url, s.thumbnail_url, s.finished_at as created_at, d.prompt as title
       from video_generation_task_statuses s
       join video_generation_task_definitions d on d.id = s.task_id
      where s.status = 'completed' and s.result_url is not null and s.finished_at is not null
      order by s.finished_at desc
      limit $1`,
    [limit],
  );
  return rows.map((r) => ({ id: r.id, videoUrl: r.video_url, thumbnailUrl: r.thumbnail_url, created_at: iso(r.created_at), title: r.title ?? '' }));
}
