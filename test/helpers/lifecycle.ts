import type { Db } from '../../src/db/db.js';
import type { TaskFileKeys } from '../../src/db/queries/task-file-keys.js';
import { asService } from '../../src/db/scope.js';
import type { Product } from '../../src/domain/catalog.js';
import type { TestApp, TestUser } from './app.js';
import { pngOf } from './images.js';
import { multipart } from './multipart.js';

/** Creates a task through the product's own route, as a client would. */
export function generate(t: Pick<TestApp, 'app'>, product: Product, user: TestUser, prompt = 'A red fox in snow') {
  if (product.kind === 't2v') {
    return t.app.inject({ method: 'POST', url: product.path, headers: user.auth, payload: { prompt, aspect_ratio: '16:9', cfg: 0.5 } });
  }
  const form = multipart({ prompt, cfg: '0.5' }, { input_image: { filename: 'fox.png', contentType: 'image/png', data: pngOf(640, 360) } });
  return t.app.inject({ method: 'POST', url: product.path, headers: { ...user.auth, ...form.headers }, payload: form.body });
}

/** Creates a task and returns its id, failing the test on anything but 200. */
export async function createTask(t: Pick<TestApp, 'app'>, product: Product, user: TestUser): Promise<number> {
  const res = await generate(t, product, user);
  if (res.statusCode !== 200) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json<{ taskId: number }>().taskId;
}

export interface StatusRow {
  task_id: number;
  status: string;
  external_task_id: string | null;
  result_url: string | null;
  thumbnail_url: string | null;
  provider_result_url: string | null;
  provider_thumbnail_url: string | null;
  error_message: string | null;
  r2_status: string | null;
  archive_error: string | null;
  archive_attempts: number;
  sync_attempts: number;
  refunded: boolean;
  timeout_checked: boolean;
  timed_out: boolean;
  locked_by: string | null;
  callback_token: string | null;
  client_task_id: string;
  next_attempt_at: Date;
  finished_at: Date | null;
}

export async function statusOf(db: Db, taskId: number): Promise<StatusRow> {
  const rows = await asService(db, (tx) =>
    tx.query<StatusRow>('select * from video_generation_task_statuses where task_id = $1', [taskId]),
  );
  const row = rows.rows[0];
  if (!row) throw new Error(`no status row for task ${taskId}`);
  return { ...row, task_id: Number(row.task_id) };
}

/** The storage keys an archive copy claimed for the task; undefined before any copy began. */
export async function fileKeysOf(db: Db, taskId: number): Promise<TaskFileKeys | undefined> {
  const { rows } = await asService(db, (tx) =>
    tx.query<TaskFileKeys>('select video_key as video, thumbnail_key as thumbnail from task_file_keys where task_id = $1', [taskId]),
  );
  return rows[0];
}

/** Ledger rows of one kind for a task. */
export async function ledgerRows(db: Db, taskId: number, reason: 'generation' | 'refund'): Promise<number[]> {
  const { rows } = await asService(db, (tx) =>
    tx.query<{ delta: number }>('select delta from credit_ledger where task_id = $1 and reason = $2', [taskId, reason]),
  );
  return rows.map((r) => Number(r.delta));
}

export async function balanceOf(db: Db, userId: string): Promise<number> {
  const { rows } = await asService(db, (tx) => tx.query<{ b: number }>('select credits_balance as b from user_credits where user_id = $1', [userId]));
  return Number(rows[0]!.b);
}

/** Makes every unfinished task due now (as far as the test clock is concerned). */
export async function makeAllDue(db: Db, now: Date): Promise<void> {
  await asService(db, (tx) =>
    tx.query(`update video_generation_task_statuses set next_attempt_at = $1 where status in ('pending', 'processing')`, [new Date(now.getTime() - 1)]),
  );
}
