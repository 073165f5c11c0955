import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { restrictToOwner } from '../data-dir.js';
import { DataDirLockedError, lockDataDir } from './data-dir-lock.js';
import { backupEmbeddedPostgres, installEmbeddedPostgres, unpackEmbeddedPostgres } from './embedded-postgres-backup.js';
import { embeddedClusterDir } from './embedded-postgres.js';
import type { EmbeddedEngine } from './open.js';
import { createPgliteDb } from './pglite.js';

/** Where the how-to for a PostgreSQL database lives. */
export const POSTGRES_BACKUP_DOC = 'docs/backups.md';

async function isNonEmptyDir(dir: string): Promise<boolean> {
  return (await readdir(dir).catch(() => [])).length > 0;
}

/**
 * Takes DATA_DIR for the whole of `work`. A backup, restore or move beside a running server would copy files it is
 * changing, or change files under it: refused with what to do instead.
 */
export async function withDataDirLocked<T>(dataDir: string, what: 'back up' | 'restore' | 'move', work: () => Promise<T>): Promise<T> {
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
 * Writes the embedded database to `file` as one gzipped tarball, taken while no other process has it open, so it is
 * consistent: PGlite's data folder as PGlite dumps it, or a cold copy of the native cluster. Refuses an existing
 * `file`, and refuses while the server runs. The file is written beside its final name and renamed, so a failed
 * backup never looks like a whole one.
 */
export async function backupEmbeddedDatabase(dataDir: string, file: string, engine: EmbeddedEngine): Promise<{ file: string; bytes: number }> {
  const target = path.resolve(file);
  if (await stat(target).catch(() => undefined)) throw new Error(`${target} exists already: choose a new file name, or remove it first`);
  return withDataDirLocked(dataDir, 'back up', async () => {
    const partial = `${target}.partial`;
    try {
      if (engine === 'postgres') await backupEmbeddedPostgres(dataDir, partial);
      else await writeFile(partial, await dumpPglite(dataDir), { mode: 0o600 });
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    await rename(partial, target);
    return { file: target, bytes: (await stat(target)).size };
  });
}

async function dumpPglite(dataDir: string): Promise<Buffer> {
  const pgdata = path.join(dataDir, 'pgdata');
  if (!(await isNonEmptyDir(pgdata))) throw new Error(`There is no embedded database in ${path.resolve(pgdata)} to back up`);
  const db = await createPgliteDb(pgdata);
  try {
    return Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
  } finally {
    await db.close();
    await restrictToOwner(pgdata);
  }
}

/**
 * Replaces the embedded database with the one in `file` (made by backupEmbeddedDatabase for the same engine). Refuses
 * while the server runs, and refuses a DATA_DIR that holds a database unless `force`: the old one is then kept beside
 * it, renamed, not deleted. The backup is unpacked and opened in a folder of its own first, so a bad file changes
 * nothing.
 */
export async function restoreEmbeddedDatabase(
  dataDir: string,
  file: string,
  options: { force: boolean; engine: EmbeddedEngine },
): Promise<{ restored: string; migrations: number; previous?: string }> {
  const source = path.resolve(file);
  if (!(await stat(source).catch(() => undefined))?.isFile()) throw new Error(`${source} is not a file`);
  return withDataDirLocked(dataDir, 'restore', async () => {
    const live = options.engine === 'postgres' ? embeddedClusterDir(dataDir) : path.join(dataDir, 'pgdata');
    const occupied = await isNonEmptyDir(live);
    if (occupied && !options.force) {
      throw new Error(`${path.resolve(live)} holds a database already. To replace it, run restore again with --force (the current one is kept, renamed)`);
    }
    const staging = path.join(dataDir, `${path.basename(live)}.restoring-${process.pid}`);
    let migrations: number;
    try {
      migrations = options.engine === 'postgres' ? await unpackEmbeddedPostgres(source, staging) : await unpackPglite(source, staging);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(
        `${source} is not a backup of this service's embedded database (${options.engine}; one made on the other engine needs ` +
          `EMBEDDED_DATABASE set to it): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const previous = occupied ? `${live}.before-restore-${new Date().toISOString().replaceAll(':', '-')}` : undefined;
    if (options.engine === 'postgres') await installEmbeddedPostgres(staging, dataDir, previous);
    else await installPglite(staging, live, previous);
    return { restored: path.resolve(live), migrations, ...(previous && { previous: path.resolve(previous) }) };
  });
}

async function unpackPglite(file: string, staging: string): Promise<number> {
  await rm(staging, { recursive: true, force: true });
  const db = await createPgliteDb(staging, { loadDataDir: new Blob([await readFile(file)]) });
  try {
    return (await db.query<{ n: number }>('select count(*)::int as n from public.schema_migrations')).rows[0]!.n;
  } finally {
    await db.close();
    await restrictToOwner(staging);
  }
}

async function installPglite(staging: string, pgdata: string, previous: string | undefined): Promise<void> {
  if (previous) await rename(pgdata, previous);
  else await rm(pgdata, { recursive: true, force: true });
  await rename(staging, pgdata);
}
