import pg from 'pg';
import type { Db, Queryable, QueryResult, TransactionOptions } from './db.js';
import { inlineParams } from './inline-params.js';

// int8 (bigserial ids) as numbers, not strings: our ids stay far below 2^53, and the contract answers numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// numeric (cfg, price_paid) as numbers too, as PGlite returns them.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

/**
 * `begin` and the transaction's settings in one simple-protocol message: one round trip instead of two on every
 * scoped request. The values are escaped literals (the simple protocol takes no parameters).
 */
function beginStatement(options: TransactionOptions | undefined): string {
  const settings = Object.entries(options?.settings ?? {});
  if (settings.length === 0) return 'begin';
  const calls = settings.map(([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, true)`);
  return `begin; select ${calls.join(', ')}`;
}

/** A PostgreSQL database through a pg pool. */
export function createPostgresDb(connectionString: string, options: { poolSize: number }): Db {
  const pool = new pg.Pool({ connectionString, max: options.poolSize });
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const base = wrap(pool);
  return {
    kind: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction(fn, options) {
      const client = await pool.connect();
      try {
        await client.query(beginStatement(options));
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async queryInTransaction<Row>(sql: string, params: readonly unknown[], options: TransactionOptions): Promise<QueryResult<Row>> {
      const client = await pool.connect();
      try {
        // begin; settings; the statement; commit — answered with one result per statement.
        const results = (await client.query(`${beginStatement(options)}; ${inlineParams(sql, params)}; commit`)) as unknown as pg.QueryResult[];
        const result = results[results.length - 2]!;
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
      } catch (error) {
        // A failed statement leaves the transaction open and aborted.
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onMessage) {
      const client = await pool.connect();
      const handler = (msg: pg.Notification) => {
        if (msg.channel === channel) onMessage(msg.payload ?? '');
      };
      client.on('notification', handler);
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      return async () => {
        client.off('notification', handler);
        await client.query(`unlisten ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
        client.release();
      };
    },
    close: () => pool.end(),
  };
}
