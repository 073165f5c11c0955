import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { restrictToOwner } from '../data-dir.js';
import { lockDataDir } from './data-dir-lock.js';
import type { Db } from './db.js';
import { embeddedClusterDir, startEmbeddedPostgres } from './embedded-postgres.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb, type PostgresOptions } from './postgres.js';

/** What the embedded database tells: its first start, a server an earlier killed process left running, its log. */
export interface EmbeddedDatabaseLog {
  info(facts: object, message: string): void;
  warn(facts: object, message: string): void;
  debug(facts: object, message: string): void;
}

export interface OpenDatabaseOptions extends PostgresOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Without databaseUrl: PGlite in DATA_DIR/pgdata (the default), or PostgreSQL run from DATA_DIR/postgres. */
  embeddedDatabase?: 'postgres' | 'pglite';
  log?: EmbeddedDatabaseLog;
}

/**
 * Connections beyond the pool the embedded PostgreSQL accepts: the LISTEN connection, an operator's psql, and the
 * pool's replacements for connections still closing.
 */
const EMBEDDED_CONNECTION_HEADROOM = 10;

/**
 * PostgreSQL when a URL is given. Else the embedded database, locked to this process (a second one is refused with
 * DataDirLockedError): by default PGlite in DATA_DIR/pgdata, its files left owner-only (restrictToOwner); with
 * `embeddedDatabase: 'postgres'`, a PostgreSQL server started from DATA_DIR/postgres (embedded-postgres.ts) and
 * reached through the same pool as any PostgreSQL. The returned database's `close` also stops the server and releases
 * the lock.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Db> {
  const { databaseUrl, dataDir, embeddedDatabase = 'pglite', log, ...postgres } = options;
  if (databaseUrl) return createPostgresDb(databaseUrl, postgres);
  const release = await lockDataDir(dataDir);
  try {
    const db = embeddedDatabase === 'pglite' ? await openPglite(dataDir) : await openEmbeddedPostgres(dataDir, postgres, log);
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

/**
 * A PGlite database made by an earlier version is not left behind unseen: with no PostgreSQL cluster yet, the start
 * stops and says how to keep it.
 */
function refusePgliteData(dataDir: string): void {
  const pgdata = path.resolve(dataDir, 'pgdata');
  if (!existsSync(path.join(pgdata, 'PG_VERSION')) || existsSync(path.join(embeddedClusterDir(dataDir), 'PG_VERSION'))) return;
  throw new ConfigError(
    `${pgdata} holds a PGlite database, the embedded database of earlier versions; the embedded database is now PostgreSQL, in ` +
      `${path.resolve(embeddedClusterDir(dataDir))}. To go on with the PGlite database, set EMBEDDED_DATABASE=pglite. ` +
      'To start afresh on PostgreSQL instead, move that folder out of DATA_DIR (keep it: it is your data). ' +
      'Moving its rows into PostgreSQL is not automatic: see docs/performance.md, "The embedded default".',
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
