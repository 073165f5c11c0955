import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db.js';

function wrap(target: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await target.query<Row>(sql, params as unknown[]);
      // PGlite reports affectedRows 0 for a select.
      return { rows: result.rows, rowCount: Math.max(result.rows.length, result.affectedRows ?? 0) };
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
  };
}

/**
 * Embedded Postgres. PGlite is one connection: only `transaction` isolates, so never run a manual `begin`
 * through `query` — every other caller's query would run inside it, with its role.
 */
export async function createPgliteDb(
  dataDir?: string,
  options: { loadDataDir?: Blob } = {},
): Promise<Db & { dumpDataDir(compression?: 'none' | 'gzip'): Promise<Blob> }> {
  const pglite = await PGlite.create({ dataDir, loadDataDir: options.loadDataDir });
  const base = wrap(pglite);
  const transaction: Db['transaction'] = (fn, options) =>
    pglite.transaction(async (tx) => {
      for (const [name, value] of Object.entries(options?.settings ?? {})) {
        await tx.query('select set_config($1, $2, true)', [name, value]);
      }
      return fn(wrap(tx));
    });
  return {
    kind: 'pglite',
    canListen: true,
    query: base.query,
    exec: base.exec,
    transaction,
    // Without settings, one statement is a transaction of its own already: no begin and commit around it.
    queryInTransaction: (sql, params, options) => (options.settings ? transaction((tx) => tx.query(sql, params), options) : base.query(sql, params)),
    async listen(channel, onMessage) {
      const unsubscribe = await pglite.listen(channel, onMessage);
      return () => unsubscribe();
    },
    close: () => pglite.close(),
    dumpDataDir: (compression = 'none') => pglite.dumpDataDir(compression),
  };
}
