import type { Db } from '../../src/db/db.js';

/** The scale run's database: 100,000 users, 1,000,000 tasks, of which the fetch-creation user owns 10,000. */
export const SCALE = { users: 100_000, tasks: 1_000_000, creatorTasks: 10_000 };

/** Rows per statement: one statement per chunk keeps each transaction (and PGlite's memory) bounded. */
const CHUNK = 100_000;

const PARAMS = JSON.stringify({ duration: '5s', product: 'ai302-t2v-5s', provider: 'ai302', api_endpoint: '/api/kling/5s', provider_model: 'm2v_16_txt2video_5s' });

/**
 * Seeds the scale run's data with set-based SQL, beside what the bench made already (`creatorId` owns `alreadyOwned`
 * tasks). Finished tasks only (completed, one in ten failed), their times spread over a year, so they weigh on every
 * read and index but give the sync pass nothing to do: it must stay as fast as on an empty table.
 */
export async function seedScale(db: Db, input: { creatorId: string; alreadyOwned: number; videoUrl: string }): Promise<void> {
  await db.query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
                             confirmation_token, recovery_token, email_change_token_new, email_change, is_sso_user, is_anonymous, created_at, updated_at)
     select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'scale-' || g || '@bench.local', '',
            '{"provider": "email", "providers": ["email"]}', '{}', '', '', '', '', false, false, now(), now()
       from generate_series(1, $1::int) g`,
    [SCALE.users],
  );
  await db.query(`select open_credit_account(id, 10) from auth.users where email like 'scale-%@bench.local'`);
  const creatorTasks = SCALE.creatorTasks - input.alreadyOwned;
  for (let from = 0; from < SCALE.tasks; from += CHUNK) {
    const to = Math.min(from + CHUNK, SCALE.tasks);
    // Task g belongs to the creator for g < creatorTasks, else to scale user g mod users. Triggers off, as in a
    // restore: a million historic rows would otherwise each be announced to listeners (NOTIFY); the change stamp
    // that the other trigger sets is written here.
    await db.transaction(async (tx) => {
      await tx.query(`set local session_replication_role = replica`);
      await tx.query(
        `with owners as (select id, (row_number() over (order by email) - 1)::int as n from auth.users where email like 'scale-%@bench.local'),
         defs as (
           insert into video_generation_task_definitions (user_id, product_id, task_type, model, prompt, negative_prompt, aspect_ratio, cfg, credits, additional_params, created_at)
           select case when g < $3 then $4::uuid else owners.id end, $5::jsonb ->> 'product', 'video', 'kling', 'scale video ' || g, '', '16:9', 0.5, 1, $5::jsonb,
                  now() - make_interval(secs => ($6::int - g) * 30)
             from generate_series($1::int, $2::int - 1) g join owners on owners.n = g % $7::int
           returning id, created_at)
         insert into video_generation_task_statuses (task_id, status, provider, external_task_id, result_url, provider_result_url, r2_status, finished_at, error_message, change_xid)
         select id, case when id % 10 = 0 then 'failed' else 'completed' end, 'ai302', 'scale-' || id,
                case when id % 10 = 0 then null else $8 end, case when id % 10 = 0 then null else $8 end,
                case when id % 10 = 0 then null else 'completed' end, created_at + interval '2 minutes',
                case when id % 10 = 0 then 'the provider failed the task' end, pg_current_xact_id()
           from defs`,
        [from, to, creatorTasks, input.creatorId, PARAMS, SCALE.tasks, SCALE.users, input.videoUrl],
      );
    });
  }
  // As after a restore: hint bits set and statistics read now, so autovacuum does not do it during the measurements.
  await db.query('vacuum analyze');
}
