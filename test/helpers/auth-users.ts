import type { TestDb } from './db.js';

/**
 * Creates a user as Supabase Auth does: a row in auth.users, nothing else (no credit account: that is the
 * application's business). On PGlite and plain PostgreSQL auth.users is our migrations' emulation (id, email,
 * encrypted_password, created_at, updated_at), written as the database's own role. The one place to switch to
 * connecting as `supabase_auth_admin` against a real Supabase database (SUPABASE_TEST_DB=1).
 */
export async function insertAuthUser(testDb: TestDb, user: { id: string; email: string }): Promise<void> {
  await testDb.db.query(`insert into auth.users (id, email) values ($1, $2)`, [user.id, user.email]);
}
