import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { create as createTar, extract as extractTar } from 'tar';
import { credentialsFile, embeddedClusterDir, startEmbeddedPostgres } from './embedded-postgres.js';
import { stopOrphanPostmaster } from './embedded-postgres-process.js';

/** What a backup of the embedded PostgreSQL holds, relative to DATA_DIR: the cluster and its superuser's password. */
const ENTRIES = (dataDir: string) => [embeddedClusterDir(dataDir), credentialsFile(dataDir)].map((p) => path.basename(p));

/**
 * A cold copy of the cluster (DATA_DIR/postgres and postgres.json) as a gzipped tarball, owners and modes kept: the
 * caller holds DATA_DIR's lock, so no server of ours runs on it, and the postmaster a killed server may have left is
 * stopped first. A copy of a cluster stopped any way at all is consistent: one killed mid-write recovers from its
 * WAL at its next start, as it would have in place. `partial` is the file written; the caller renames it.
 */
export async function backupEmbeddedPostgres(dataDir: string, partial: string): Promise<void> {
  const cluster = embeddedClusterDir(dataDir);
  if (!existsSync(path.join(cluster, 'PG_VERSION'))) throw new Error(`There is no embedded PostgreSQL in ${path.resolve(cluster)} to back up`);
  await stopOrphanPostmaster(cluster);
  await createTar({ gzip: true, file: partial, cwd: dataDir, portable: false }, ENTRIES(dataDir));
  await chmod(partial, 0o600);
}

/**
 * Unpacks a backup made by backupEmbeddedPostgres into `staging` (a folder of its own inside DATA_DIR) and starts it
 * there once, so a file that is not such a backup, or holds no database of ours, changes nothing. Resolves to the
 * number of migrations the restored database records; the caller moves `staging`'s entries into place.
 */
export async function unpackEmbeddedPostgres(file: string, staging: string): Promise<number> {
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  // As root the owner recorded in the file (the cluster's user, `nobody`) is kept: PostgreSQL refuses a cluster
  // owned by anyone else.
  await extractTar({ file, cwd: staging, strict: true, filter: (entry) => ENTRIES(staging).includes(entry.split('/')[0]!) });
  if (!existsSync(path.join(embeddedClusterDir(staging), 'PG_VERSION'))) throw new Error('it holds no embedded PostgreSQL cluster');
  const server = await startEmbeddedPostgres({ dataDir: staging, maxConnections: 5 });
  try {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return (await client.query<{ n: number }>('select count(*)::int as n from public.schema_migrations')).rows[0]!.n;
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
  }
}

/** Moves the restored cluster from `staging` into DATA_DIR; a cluster already there goes to `previous` first. */
export async function installEmbeddedPostgres(staging: string, dataDir: string, previous: string | undefined): Promise<void> {
  if (previous) await mkdir(previous, { mode: 0o700 });
  for (const name of ENTRIES(dataDir)) {
    const current = path.join(dataDir, name);
    if (previous && existsSync(current)) await rename(current, path.join(previous, name));
    else await rm(current, { recursive: true, force: true });
    await rename(path.join(staging, name), current);
  }
  await rm(staging, { recursive: true, force: true });
}
