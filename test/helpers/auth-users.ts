import pg from 'pg';
import type { TestDb } from './db.js';

/**
 * Creates a user as Supabase Auth does: a row in auth.users, nothing else (no credit account: that is the
 * application's business). On the Supabase-like database (SUPABASE_TEST_DB=1) it connects as Supabase Auth does,
 * as `supabase_auth_admin`, and writes the columns Supabase Auth fills for a confirmed email user (no password: one signing in by a link); elsewhere auth.users is
 * our migrations' emulation, written as the database's own role.
 */
export async function insertAuthUser(testDb: TestDb, user: { id: string; email: string }): Promise<void> {
  if (process.env.SUPABASE_TEST_DB !== '1') {
    await testDb.db.query(`insert into auth.users (id, email, email_confirmed_at) values ($1, $2, now())`, [user.id, user.email]);
    return;
  }
  const url = new URL(testDb.url!);
  url.username = 'supabase_auth_admin';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(
      `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                               raw_app_meta_data, raw_user_meta_data, confirmation_token, recovery_token,
                               email_change_token_new, email_change, created_at, updated_at)
       values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2, '',
               now(), '{"provider": "email", "providers": ["email"]}', '{}', '', '', '', '', now(), now())`,
      [user.id, user.email],
    );
  } finally {
    await client.end();
  }
}
