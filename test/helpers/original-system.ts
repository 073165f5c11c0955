import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Db, Queryable } from '../../src/db/db.js';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { insertAuthUser } from './auth-users.js';
import type { TestDb } from './db.js';

/**
 * The database the original system ran on: Supabase's auth schema and roles (our emulation, with Supabase Auth's
 * columns, where it is not a Supabase database), then the contract's own scripts — the Setup Tables Script and the Fix RLS Policy Script, which
 * migrations 0002 and 0003 keep as written — and the r2_status column its code wrote without declaring. Nothing is
 * recorded in schema_migrations: that table did not exist.
 */
export async function buildOriginalSchema(db: Db): Promise<void> {
  // 0008 gives the emulated auth.users the columns Supabase Auth's table has (a no-op on a Supabase database).
  for (const name of ['0001_supabase_auth_emulation.sql', '0008_auth_users_as_supabase.sql', '0002_setup_tables.sql', '0003_fix_rls_policy.sql']) {
    const sql = await readFile(path.join(MIGRATIONS_DIR, name), 'utf8');
    await db.transaction((tx) => tx.exec(sql));
  }
  await db.exec('alter table video_generation_task_statuses add column r2_status text');
}

export interface OriginalCredits {
  balance: number;
  purchased: number;
  used: number;
  level?: string;
  lastPurchase?: string;
}

/** A user as the original had them: a Supabase Auth user and a user_credits row, and no ledger. */
export async function originalUser(testDb: TestDb, credits: OriginalCredits): Promise<string> {
  const id = randomUUID();
  await insertAuthUser(testDb, { id, email: `original-${id.slice(0, 8)}@example.com` });
  await testDb.db.query(
    `insert into user_credits (user_id, credits_balance, total_credits_purchased, total_credits_used, level, last_purchase_date)
     values ($1, $2, $3, $4, $5, $6)`,
    [id, credits.balance, credits.purchased, credits.used, credits.level ?? 'free', credits.lastPurchase ?? null],
  );
  return id;
}

export interface OriginalStatus {
  status: string;
  externalTaskId?: string;
  resultUrl?: string;
  thumbnailUrl?: string;
  r2Status?: string;
  errorMessage?: string;
  /** When the row was written; later rows are later changes. */
  at: string;
}

export interface OriginalTask {
  userId: string;
  /** 'video' (text-to-video) or 'i2v' (image-to-video), as the original wrote task_type. */
  taskType: string;
  /** The provider endpoint it recorded in additional_params.api_endpoint. */
  apiEndpoint: string;
  duration: '5s' | '10s';
  highQuality: boolean;
  credits: number;
  prompt: string;
  /** Its status rows, oldest first: the original added one per change. */
  statuses: OriginalStatus[];
}

/** Endpoints as the original recorded them. */
export const ORIGINAL_ENDPOINT = {
  ai302T2v: (duration: '5s' | '10s', hq = false) => `https://api.302.ai/klingai/m2v_16_txt2video${hq ? '_hq' : ''}_${duration}`,
  ai302I2v: (duration: '5s' | '10s', hq = false) => `https://api.302.ai/klingai/m2v_16_img2video${hq ? '_hq' : ''}_${duration}`,
  klingT2v: 'https://api.klingai.com/v1/videos/text2video',
  klingI2v: 'https://api.klingai.com/v1/videos/image2video',
};

/** Writes a task as the original's routes and SQL status function did; returns its id. */
export async function originalTask(db: Queryable, task: OriginalTask): Promise<number> {
  const { rows } = await db.query<{ id: number | string }>(
    `insert into video_generation_task_definitions
       (user_id, task_type, model, prompt, negative_prompt, start_img_path, aspect_ratio, cfg, high_quality, credits,
        additional_params, created_at)
     values ($1, $2, 'kling', $3, '', $4, '16:9', 0.5, $5, $6, $7, $8) returning id`,
    [
      task.userId, task.taskType, task.prompt, task.taskType === 'i2v' ? 'pending' : '', task.highQuality, task.credits,
      JSON.stringify({ duration: task.duration, api_endpoint: task.apiEndpoint }), task.statuses[0]!.at,
    ],
  );
  const id = Number(rows[0]!.id);
  for (const s of task.statuses) {
    await db.query(
      `insert into video_generation_task_statuses
         (task_id, status, external_task_id, result_url, thumbnail_url, r2_status, error_message, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
      [id, s.status, s.externalTaskId ?? null, s.resultUrl ?? null, s.thumbnailUrl ?? null, s.r2Status ?? null, s.errorMessage ?? null, s.at],
    );
  }
  return id;
}
