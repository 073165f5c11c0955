import pg from 'pg';
import type { Db } from '../../src/db/db.js';
import { openDatabase } from '../../src/db/open.js';
import { createPostgresDb } from '../../src/db/postgres.js';
import { setCreditBalance } from '../../src/db/queries/credits.js';

export type DatabaseKind = 'postgres' | 'embedded';
export type EmbeddedEngine = 'pglite' | 'postgres';

/** The database the bench's servers use: a fresh PostgreSQL database, or an embedded one's data folder. */
export interface BenchDatabase {
  kind: DatabaseKind;
  /** Environment for the server: DATABASE_URL or DATA_DIR. */
  serverEnv: Record<string, string>;
  /**
   * Opens the database from the bench process. PostgreSQL: any time. Embedded: only while no server runs (the folder
   * is locked to one process).
   */
  open(poolSize?: number): Promise<Db>;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createBenchPostgres(serverUrl: string): Promise<{ database: BenchDatabase; url: string; drop(): Promise<void> }> {
  const name = `simplevideo_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  return {
    url,
    database: { kind: 'postgres', serverEnv: { DATABASE_URL: url }, open: async (poolSize = 10) => createPostgresDb(url, { poolSize }) },
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** The embedded database (EMBEDDED_DATABASE's engine) in `dataDir`. */
export function createBenchEmbedded(dataDir: string, engine: EmbeddedEngine): BenchDatabase {
  return {
    kind: 'embedded',
    serverEnv: { DATA_DIR: dataDir, EMBEDDED_DATABASE: engine },
    open: (poolSize = 1) => openDatabase({ dataDir, embeddedDatabase: engine, poolSize: engine === 'pglite' ? 1 : poolSize }),
  };
}

/** Sets each user's balance through the same query the admin CLI uses, so every change has its ledger row. */
export async function grantCredits(db: Db, userIds: readonly string[], balance: number): Promise<void> {
  for (const userId of userIds) await db.transaction((tx) => setCreditBalance(tx, { userId, balance }));
}

const AI302_T2V_5S = { duration: '5s', product: 'ai302-t2v-5s', provider: 'ai302', api_endpoint: '/api/kling/5s', provider_model: 'm2v_16_txt2video_5s' };

/** `count` completed text-to-video tasks for one user (the fetch-creation user; also feeds /api/videos/latest). */
export async function seedCompletedTasks(db: Db, userId: string, count: number, videoUrl: string): Promise<void> {
  await db.query(
    `with defs as (
       insert into video_generation_task_definitions (user_id, product_id, task_type, model, prompt, negative_prompt, aspect_ratio, cfg, credits, additional_params)
       select $1, $3::jsonb ->> 'product', 'video', 'kling', 'bench video ' || g, '', '16:9', 0.5, 1, $3::jsonb from generate_series(1, $2) g
       returning id)
     insert into video_generation_task_statuses (task_id, status, provider, external_task_id, result_url, provider_result_url, r2_status, finished_at)
     select id, 'completed', 'ai302', 'bench-' || id, $4, $4, 'completed', now() - make_interval(secs => id) from defs`,
    [userId, count, JSON.stringify(AI302_T2V_5S), videoUrl],
  );
}

/**
 * Tasks already submitted to the provider (`externalIds`), pending with their external id, as createGenerationTask
 * leaves them. `due`: whether the sync pass may take them at once, else they wait for `activate`.
 */
export async function seedInFlightTasks(db: Db, userId: string, externalIds: readonly string[], due: boolean): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < externalIds.length; i += 2000) {
    const chunk = externalIds.slice(i, i + 2000);
    const { rows } = await db.query<{ task_id: number }>(
      `with ext as (select e, row_number() over () as n from unnest($2::text[]) e),
       defs as (
         insert into video_generation_task_definitions (user_id, product_id, task_type, model, prompt, negative_prompt, aspect_ratio, cfg, credits, additional_params)
         select $1, $3::jsonb ->> 'product', 'video', 'kling', 'sync bench ' || n, '', '16:9', 0.5, 1, $3::jsonb from ext order by n
         returning id),
       numbered as (select id, row_number() over (order by id) as n from defs)
       insert into video_generation_task_statuses (task_id, status, provider, external_task_id, next_attempt_at, callback_token)
       select numbered.id, 'pending', 'ai302', ext.e, case when $4 then now() else 'infinity'::timestamptz end, md5(random()::text || numbered.id)
         from numbered join ext using (n)
       returning task_id`,
      [userId, chunk, JSON.stringify(AI302_T2V_5S), due],
    );
    ids.push(...rows.map((r) => Number(r.task_id)));
  }
  return ids;
}

/** Makes the given waiting tasks due now; resolves to the database's clock at that moment (ms). */
export async function activate(db: Db, taskIds: readonly number[]): Promise<number> {
  const { rows } = await db.query<{ at: Date }>(
    `with up as (update video_generation_task_statuses set next_attempt_at = now() where task_id = any($1::bigint[]) returning 1)
     select now() as at from (select count(*) from up) c`,
    [taskIds],
  );
  return new Date(rows[0]!.at).getTime();
}

export interface SyncOutcome {
  completed: number;
  unfinished: number;
  failed: number;
  firstFinishedMs: number;
  lastFinishedMs: number;
}

export async function syncOutcome(db: Db, taskIds: readonly number[]): Promise<SyncOutcome> {
  const { rows } = await db.query<{ completed: number; unfinished: number; failed: number; first: Date | null; last: Date | null }>(
    `select count(*) filter (where status = 'completed')::int as completed,
            count(*) filter (where status in ('pending', 'processing'))::int as unfinished,
            count(*) filter (where status = 'failed')::int as failed,
            min(finished_at) as first, max(finished_at) as last
       from video_generation_task_statuses where task_id = any($1::bigint[])`,
    [taskIds],
  );
  const r = rows[0]!;
  return {
    completed: r.completed,
    unfinished: r.unfinished,
    failed: r.failed,
    firstFinishedMs: r.first ? new Date(r.first).getTime() : NaN,
    lastFinishedMs: r.last ? new Date(r.last).getTime() : NaN,
  };
}

/**
 * Takes the tasks the HTTP load created (thousands, pending at the simulator) off the sync queue once their books are
 * checked, so the sync benchmark measures its own tasks alone rather than sharing the passes with them.
 */
export async function retireLoadTasks(db: Db): Promise<number> {
  const { rowCount } = await db.query(
    `update video_generation_task_statuses
        set status = 'failed', error_message = 'retired by the bench before the sync run', finished_at = now(), updated_at = now()
      where status in ('pending', 'processing')`,
  );
  return rowCount;
}

/** Leaves nothing for the archive pass but what the archive benchmark adds. */
export async function settleArchiveQueue(db: Db): Promise<void> {
  await db.query(`update video_generation_task_statuses set r2_status = 'completed' where r2_status is distinct from 'completed' and status = 'completed'`);
}

/**
 * One completed task whose video is `videoUrl` (the simulator's large file). Not queued for the archive pass
 * (r2_status null): the bench copies it on demand through the single-task job endpoint, so the timing is exact.
 */
export async function seedArchiveTask(db: Db, userId: string, videoUrl: string, thumbnailUrl: string | null): Promise<number> {
  const { rows } = await db.query<{ task_id: number }>(
    `with def as (
       insert into video_generation_task_definitions (user_id, product_id, task_type, model, prompt, negative_prompt, aspect_ratio, cfg, credits, additional_params)
       values ($1, $4::jsonb ->> 'product', 'video', 'kling', 'archive bench', '', '16:9', 0.5, 1, $4::jsonb) returning id)
     insert into video_generation_task_statuses (task_id, status, provider, external_task_id, result_url, thumbnail_url, provider_result_url,
                                                provider_thumbnail_url, r2_status, archive_next_attempt_at, finished_at)
     select id, 'completed', 'ai302', 'archive-' || id, $2, $3, $2, $3, null, null, now() from def
     returning task_id`,
    [userId, videoUrl, thumbnailUrl, JSON.stringify(AI302_T2V_5S)],
  );
  return Number(rows[0]!.task_id);
}

export async function archiveState(db: Db, taskId: number): Promise<{ r2_status: string | null; archive_error: string | null; result_url: string | null }> {
  const { rows } = await db.query<{ r2_status: string | null; archive_error: string | null; result_url: string | null }>(
    `select r2_status, archive_error, result_url from video_generation_task_statuses where task_id = $1`,
    [taskId],
  );
  return rows[0]!;
}

export interface Accounting {
  /** Users whose credits_balance differs from the sum of their ledger. */
  unbalancedUsers: number;
  /** 'generation' ledger rows of the given users (one per charged task). */
  generationRows: number;
  refundRows: number;
  /** Tasks of the given users. */
  tasks: number;
  /** Σ (granted − balance) over the given users: credits actually spent. */
  spent: number;
  /** Tasks the provider accepted (external id, not failed): each one was answered 2xx, or would have been had the client waited. */
  submitted: number;
  /** Charged tasks that are neither submitted nor failed-and-refunded (must be 0). */
  dangling: number;
}

export async function accounting(db: Db, userIds: readonly string[], granted: number): Promise<Accounting> {
  const unbalanced = await db.query<{ n: number }>(
    `select count(*)::int as n from user_credits c
       left join (select user_id, sum(delta)::int as total from credit_ledger group by user_id) l using (user_id)
      where c.credits_balance <> coalesce(l.total, 0)`,
  );
  const rows = await db.query<{ generation: number; refund: number }>(
    `select count(*) filter (where reason = 'generation')::int as generation, count(*) filter (where reason = 'refund')::int as refund
       from credit_ledger where user_id = any($1::uuid[])`,
    [userIds],
  );
  const tasks = await db.query<{ n: number }>(`select count(*)::int as n from video_generation_task_definitions where user_id = any($1::uuid[])`, [userIds]);
  const spent = await db.query<{ n: number }>(
    `select coalesce(sum($2::int - credits_balance), 0)::int as n from user_credits where user_id = any($1::uuid[])`,
    [userIds, granted],
  );
  const states = await db.query<{ submitted: number; dangling: number }>(
    `select count(*) filter (where s.external_task_id is not null and s.status <> 'failed')::int as submitted,
            count(*) filter (where not (s.external_task_id is not null and s.status <> 'failed') and not (s.status = 'failed' and s.refunded))::int as dangling
       from video_generation_task_definitions d join video_generation_task_statuses s on s.task_id = d.id
      where d.user_id = any($1::uuid[])`,
    [userIds],
  );
  return {
    submitted: states.rows[0]!.submitted,
    dangling: states.rows[0]!.dangling,
    unbalancedUsers: unbalanced.rows[0]!.n,
    generationRows: rows.rows[0]!.generation,
    refundRows: rows.rows[0]!.refund,
    tasks: tasks.rows[0]!.n,
    spent: spent.rows[0]!.n,
  };
}

/**
 * The database's own ceiling for the query fetch-credit makes: single indexed selects on user_credits, `concurrency`
 * at a time, for `seconds`, through the same driver as the server.
 */
export async function selectCeiling(db: Db, userIds: readonly string[], concurrency: number, seconds: number): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (i: number) => {
    let k = i;
    while (performance.now() < end) {
      await db.query('select credits_balance from user_credits where user_id = $1', [userIds[k++ % userIds.length]]);
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  return done / ((performance.now() - started) / 1000);
}
