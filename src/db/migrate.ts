import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';
import type { Db } from './db.js';

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

// Any constant: every migrating process takes the same transaction-scoped advisory lock, so two processes
// migrating one database at once apply each file exactly once, in order.
const MIGRATION_LOCK_KEY = 7_360_221_001;

/**
 * Applies the numbered `.sql` files not yet recorded, in order, each in its own transaction together with its
 * record. Safe to run twice and from several processes at once. Returns the names it applied.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    // Ours alone: on Supabase, default privileges would hand a new table in public to anon and authenticated.
    await tx.exec(`create table if not exists public.schema_migrations (
      name text primary key,
      applied_at timestamptz not null default now()
    );
    do $$ declare r text; begin
      if pg_has_role((select relowner from pg_class where oid = 'public.schema_migrations'::regclass), 'USAGE') then
        alter table public.schema_migrations enable row level security;
        revoke all on public.schema_migrations from public;
        for r in select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role') loop
          execute format('revoke all on public.schema_migrations from %I', r);
        end loop;
      end if;
    end $$`);
  });
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const name of files) {
    const sql = await readFile(path.join(dir, name), 'utf8');
    const didApply = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const done = await tx.query('select 1 from public.schema_migrations where name = $1', [name]);
      if (done.rowCount > 0) return false;
      await tx.exec(sql);
      await tx.query('insert into public.schema_migrations (name) values ($1)', [name]);
      return true;
    });
    if (didApply) applied.push(name);
  }
  return applied;
}
