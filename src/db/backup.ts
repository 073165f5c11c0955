import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { restrictToOwner } from '../data-dir.js';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';
import { createPgliteDb } from './pglite.js';

/** Where the how-to for a PostgreSQL database lives. */
export const POSTGRES_BACKUP_DOC = 'docs/backups.md';

async function isNonEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [])).length > 0;
}

/**
 * Takes DATA_DIR for the whole of `work`. A backup or restore beside a running server would copy files it is
 * changing, or change files under it: refused with what to do instead.
 */
async function withDataDirLocked<T>(dataDir: string, what: 'back up' | 'restore', work: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockDataDir(dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new Error(
      `${error.message}\nCannot ${what} the embedded database while the server uses it: stop the server, run this again, ` +
        `then start the server. (With PostgreSQL, pg_dump copies a running database: see ${POSTGRES_BACKUP_DOC}.)`,
      { cause: error },
    );
  }
  try {
    return await work();
  } finally {
    await release();
  }
}

/**
 * Writes the embedded database (DATA_DIR/pgdata) to `file` as one gzipped tarball, taken while no other process
 * has it open, so it is consistent. Refuses an existing `file`, and refuses while the server runs. The file is
 * written beside its final name and renamed, so a failed backup never looks like a whole one.
 */
export async function backupEmbeddedDatabase(dataDir: string, file: string): Promise<{ file: string; bytes: number }> {
  const target = path.resolve(file);
  if (await stat(target).catch(() => undefined)) throw new Error(`${target} exists already: choose a new file name, or remove it first`);
  return withDataDirLocked(dataDir, 'back up', async () => {
    const pgdata = path.join(dataDir, 'pgdata');
    if (!(await isNonEmptyDir(pgdata))) throw new Error(`There is no embedded database in ${path.resolve(pgdata)} to back up`);
    const db = await createPgliteDb(pgdata);
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    } finally {
      await db.close();
      await restrictToOwner(pgdata);
    }
    const partial = `${target}.partial`;
    await writeFile(partial, bytes, { mode: 0o600 });
    await rename(partial, target);
    return { file: target, bytes: bytes.length };
  });
}

/**
 * Replaces the embedded database with the one in `file` (made by backupEmbeddedDatabase). Refuses while the server
 * runs, and refuses a DATA_DIR that holds a database unless `force`: the old folder is then kept beside it, renamed,
 * not deleted. The backup is unpacked and opened in a folder of its own first, so a bad file changes nothing.
 */
export async function restoreEmbeddedDatabase(
  dataDir: string,
  file: string,
  options: { force: boolean },
): Promise<{ restored: string; migrations: number; previous?: string }> {
  const bytes = await readFile(path.resolve(file));
  return withDataDirLocked(dataDir, 'restore', async () => {
    const pgdata = path.join(dataDir, 'pgdata');
    const occupied = await isNonEmptyDir(pgdata);
    if (occupied && !options.force) {
      throw new Error(`${path.resolve(pgdata)} holds a database already. To replace it, run restore again with --force (the current folder is kept, renamed)`);
    }
    const staging = path.join(dataDir, `pgdata.restoring-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    let migrations: number;
    try {
      const db = await createPgliteDb(staging, { loadDataDir: new Blob([bytes]) });
      try {
        migrations = (await db.query<{ n: number }>('select count(*)::int as n from public.schema_migrations')).rows[0]!.n;
      } finally {
        await db.close();
      }
      await restrictToOwner(staging);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(`${path.resolve(file)} is not a backup of this service's embedded database: ${(error as Error).message}`, { cause: error });
    }
    const previous = occupied ? `${pgdata}.before-restore-${new Date().toISOString().replaceAll(':', '-')}` : undefined;
    if (previous) await rename(pgdata, previous);
    else await rm(pgdata, { recursive: true, force: true });
    await rename(staging, pgdata);
    return { restored: path.resolve(pgdata), migrations, ...(previous && { previous: path.resolve(previous) }) };
  });
}
