import path from 'node:path';
import { lockDataDir } from './data-dir-lock.js';
import type { Db } from './db.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb } from './postgres.js';

/**
 * PostgreSQL when a URL is given, else the embedded PGlite under `dataDir/pgdata`, locked to this process.
 * The returned database's `close` also releases the lock.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string; poolSize: number }): Promise<Db> {
  if (options.databaseUrl) return createPostgresDb(options.databaseUrl, { poolSize: options.poolSize });
  const release = await lockDataDir(options.dataDir);
  try {
    const db = await createPgliteDb(path.join(options.dataDir, 'pgdata'));
    return {
      ...db,
      async close() {
        await db.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
