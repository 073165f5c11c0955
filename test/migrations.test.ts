import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { createTestDb, type TestDb } from './helpers/db.js';

describe('migrations', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(() => t.drop());

  it('apply once and are recorded; a second run applies nothing', async () => {
    const recorded = await t.db.query<{ name: string }>('select name from schema_migrations order by name');
    expect(recorded.rows.map((r) => r.name)).toContain('0001_supabase_auth_emulation.sql');
    expect(await migrate(t.db)).toEqual([]);
  });

  it('create the contract tables with row level security on', async () => {
    const { rows } = await t.db.query<{ relname: string; relrowsecurity: boolean }>(
      `select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`,
    );
    const rls = Object.fromEntries(rows.map((r) => [r.relname, r.relrowsecurity]));
    for (const table of ['user_credits', 'video_generation_task_definitions', 'video_generation_task_statuses', 'user_favorites', 'user_subscriptions', 'credit_ledger', 'idempotency_keys', 'auth_sessions', 'auth_refresh_tokens', 'auth_email_tokens']) {
      expect(rls[table], table).toBe(true);
    }
  });

  it('can run from two connections at once on PostgreSQL', async () => {
    if (!t.url) return;
    const a = t.openAnother();
    const b = t.openAnother();
    const results = await Promise.all([migrate(a), migrate(b)]);
    expect(results).toEqual([[], []]);
  });
});
