import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { restrictToOwner } from '../data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import type { Db } from './db.js';
import { embeddedClusterDir, startEmbeddedPostgres } from './embedded-postgres.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb, type PostgresOptions } from './postgres.js';

/** EMBEDDED_DATABASE: the native PostgreSQL cluster in DATA_DIR/postgres, or PGlite's files in DATA_DIR/pgdata. */
export type EmbeddedEngine = 'postgres' | 'pglite';

/** What the embedded database tells: its first start, a server an earlier killed process left running, its log. */
export interface EmbeddedDatabaseLog {
  info(facts: object, message: string): void;
  warn(facts: object, message: string): void;
  debug(facts: object, message: string): void;
}

export interface OpenDatabaseOptions extends PostgresOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Without databaseUrl: PostgreSQL run from DATA_DIR/postgres, or PGlite in DATA_DIR/pgdata; unset: embeddedEngineOf. */
  embeddedDatabase?: EmbeddedEngine | undefined;
  log?: EmbeddedDatabaseLog;
}

/**
 * Connections beyond the pool the embedded PostgreSQL accepts: the LISTEN connection, an operator's psql, and the
 * pool's replacements for connections still closing.
 */
const EMBEDDED_CONNECTION_HEADROOM = 10;

/**
 * The embedded database DATA_DIR runs when EMBEDDED_DATABASE does not say: PostgreSQL, unless DATA_DIR holds a PGlite
 * database (the embedded default of earlier versions) and no PostgreSQL cluster, which goes on as it was.
 */
export function embeddedEngineOf(dataDir: string, configured: EmbeddedEngine | undefined): EmbeddedEngine {
  return configured ?? (holdsPgliteOnly(dataDir) ? 'pglite' : 'postgres');
}

function holdsPgliteOnly(dataDir: string): boolean {
  return existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION')) && !existsSync(path.join(embeddedClusterDir(dataDir), 'PG_VERSION'));
}

/**
 * PostgreSQL when a URL is given. Else the embedded database (embeddedEngineOf), locked to this process (a second one
 * is refused with DataDirLockedError): a PostgreSQL server started from DATA_DIR/postgres (embedded-postgres.ts) and
 * reached through the same pool as any PostgreSQL, or PGlite in DATA_DIR/pgdata, its files left owner-only
 * (restrictToOwner). The returned database's `close` also stops the server and releases the lock.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  const { databaseUrl, dataDir, embeddedDatabase, log, ...postgres } = options;
  if (databaseUrl) return createPostgresDb(databaseUrl, postgres);
  const release = await lockDataDir(dataDir);
  try {
    const db = embeddedEngineOf(dataDir, embeddedDatabase) === 'pglite' ? await openPglite(dataDir) : await openEmbeddedPostgres(dataDir, postgres, log);
    return closingThen(db, release);
  } catch (error) {
    await release();
    throw error;
  }
}

async function openPglite(dataDir: string): Promise<Db> {
  const pgdata = path.join(dataDir, 'pgdata');
  const db = await createPgliteDb(pgdata);
  await restrictToOwner(pgdata);
  return {
    ...db,
    async close() {
      await db.close();
      await restrictToOwner(pgdata);
    },
  };
}

/** EMBEDDED_DATABASE=postgres beside a PGlite database: the start stops and says how to keep it. */
function refusePgliteData(dataDir: string): void {
  if (!holdsPgliteOnly(dataDir)) return;
  throw new ConfigError(
    `${path.resolve(dataDir, 'pgdata')} holds a PGlite database, and EMBEDDED_DATABASE=postgres asks for a PostgreSQL cluster in ` +
      `${path.resolve(embeddedClusterDir(dataDir))}. To go on with the PGlite database, unset EMBEDDED_DATABASE or set it to pglite. ` +
      'To start afresh on PostgreSQL instead, move that folder out of DATA_DIR (keep it: it is your data). ' +
      'To move its rows into PostgreSQL, stop here and run `npm run admin -- move-to-postgres` (docs/backups.md).',
  );
}

async function openEmbeddedPostgres(dataDir: string, options: PostgresOptions, log: EmbeddedDatabaseLog | undefined): Promise<Db> {
  refusePgliteData(dataDir);
  const server = await startEmbeddedPostgres({
    dataDir,
    maxConnections: options.poolSize + EMBEDDED_CONNECTION_HEADROOM,
    onLog: (line) => log?.debug({ postgres: line }, 'embedded PostgreSQL'),
    onUnexpectedExit: (how) => log?.warn({ exit: how }, 'the embedded PostgreSQL stopped by itself: database requests fail until SimpleVideo is restarted'),
  });
  if (server.created) log?.info({ cluster: embeddedClusterDir(dataDir) }, 'created the embedded PostgreSQL (first start)');
  if (server.stoppedOrphan !== undefined) {
    log?.warn({ pid: server.stoppedOrphan }, 'stopped the embedded PostgreSQL an earlier process left running (it did not shut down)');
  }
  // The same pool as any PostgreSQL; LISTEN on a connection of its own to the same server.
  return closingThen(createPostgresDb(server.url, options), () => server.stop());
}

/** `db`, whose close then runs `after`, whether or not closing the database failed. */
function closingThen(db: Db, after: () => Promise<void>): Db {
  return {
    ...db,
    async close() {
      try {
        await db.close();
      } finally {
        await after();
      }
    },
  };
}
