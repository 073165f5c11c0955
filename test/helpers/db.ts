import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import { createPgliteDb } from '../../src/db/pglite.js';
import { createPostgresDb } from '../../src/db/postgres.js';

/**
 * Which database the suite runs on: PostgreSQL when DATABASE_URL is set (CI runs both), else PGlite. With
 * DATABASE_DIRECT_URL too, DATABASE_URL is a transaction pooler in front of that server.
 */
export const TEST_DATABASE: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDb {
  db: Db;
  /** For PostgreSQL: the connection string of this test's own database (another process can open it). */
  url?: string;
  /**
   * For a child process: the environment naming this database (DATABASE_URL and, under a pooler, its listen URL
   * and pool mode). Empty on PGlite.
   */
  env: Record<string, string>;
  /** Opens another connection pool to the same database (a second instance). PostgreSQL only. */
  openAnother(): Db;
  drop(): Promise<void>;
}

/**
 * The database each test database is copied from. On the Supabase-like cluster it is `postgres`, which holds
 * Supabase's schemas (auth, storage, …), so every test file gets a database as a Supabase project has it.
 */
const TEMPLATE = process.env.TEST_DATABASE_TEMPLATE;

/** Where create and drop run: never the template itself, which must have no other connections while copied. */
function adminUrl(serverUrl: string): string {
  return TEMPLATE ? withDatabase(serverUrl, 'template1') : serverUrl;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh database of its own for one test file: migrated, or (`migrated: false`) as the server makes a new one (on
 * the Supabase-like cluster: a Supabase project's database, with none of our migrations).
 */
export async function createTestDb(options: { migrated?: boolean } = {}): Promise<TestDb> {
  const migrated = options.migrated ?? true;
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = migrated ? await createPgliteDb(undefined, { loadDataDir: new Blob([await readFile(inject('pgliteTemplate'))]) }) : await createPgliteDb();
    if (migrated) await migrate(db);
    return { db, env: {}, openAnother: () => { throw new Error('PGlite is one process'); }, drop: () => db.close() };
  }
  const name = `sv_test_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: adminUrl(serverUrl) });
  await admin.connect();
  await admin.query(`create database ${name}${TEMPLATE ? ` template ${pg.escapeIdentifier(TEMPLATE)}` : ''}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  // Under a transaction pooler (test/support/pgbouncer.sh), DATABASE_DIRECT_URL is the server behind it: LISTEN goes there.
  const listenUrl = process.env.DATABASE_DIRECT_URL && withDatabase(process.env.DATABASE_DIRECT_URL, name);
  const open = () => createPostgresDb(url, listenUrl ? { poolSize: 10, poolMode: 'transaction', listenUrl } : { poolSize: 10 });
  const db = open();
  if (migrated) await migrate(db);
  const others: Db[] = [];
  return {
    db,
    url,
    env: listenUrl ? { DATABASE_URL: url, DATABASE_POOL_MODE: 'transaction', DATABASE_LISTEN_URL: listenUrl } : { DATABASE_URL: url },
    openAnother() {
      const other = open();
      others.push(other);
      return other;
    },
    async drop() {
      await Promise.all([db, ...others].map((d) => d.close().catch(() => undefined)));
      const client = new pg.Client({ connectionString: adminUrl(serverUrl) });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
