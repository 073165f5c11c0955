import path from 'node:path';
import { restrictToOwner } from '../data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import type { Db } from './db.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb, type PostgresOptions } from './postgres.js';

/**
 * PostgreSQL when a URL is given, else the embedded PGlite under `dataDir/pgdata`, locked to this process.
 * The returned database's `close` also releases the lock. Its files are left owner-only (restrictToOwner).
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string } & PostgresOptions): Promise<Db> {
  const { databaseUrl, dataDir, ...postgres } = options;
  if (databaseUrl) return createPostgresDb(databaseUrl, postgres);
  const release = await lockDataDir(dataDir);
  try {
    const pgdata = path.join(dataDir, 'pgdata');
    const db = await createPgliteDb(pgdata);
    await restrictToOwner(pgdata);
    return {
      ...db,
      async close() {
        await db.close();
        await restrictToOwner(pgdata);
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
