import pg from 'pg';
import type { Db, Queryable, QueryResult, TransactionOptions } from './db.js';
import { inlineParams } from './inline-params.js';
import { createStatementCoalescer } from './coalescer.js';
import { translateConnectionFailure } from './connection-errors.js';
import { listenWithReconnect } from './listener.js';

// int8 (bigserial ids) as numbers, not strings: our ids stay far below 2^53, and the contract answers numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// numeric (cfg, price_paid) as numbers too, as PGlite returns them.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await client.query(sql, params as unknown[]).catch(translateConnectionFailure);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql).catch(translateConnectionFailure);
    },
  };
}

/** The transaction's settings as one statement; the values are escaped literals (the simple protocol takes no parameters). */
function settingsStatement(options: TransactionOptions | undefined): string | undefined {
  const settings = Object.entries(options?.settings ?? {});
  if (settings.length === 0) return undefined;
  const calls = settings.map(([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, true)`);
  return `select ${calls.join(', ')}`;
}

/** `begin` and the settings in one simple-protocol message: one round trip instead of two on every scoped transaction. */
function beginStatement(options: TransactionOptions | undefined): string {
  const settings = settingsStatement(options);
  return settings ? `begin; ${settings}` : 'begin';
}

export interface PostgresOptions {
  poolSize: number;
  /**
   * 'transaction': `connectionString` is a transaction pooler (Supavisor on 6543, PgBouncer in transaction mode),
   * which keeps no session between transactions, so LISTEN cannot work through it. Default 'session'.
   */
  poolMode?: 'session' | 'transaction';
  /** A direct (or session-pooled) connection string used only for LISTEN, on a dedicated reconnecting connection. */
  listenUrl?: string;
  /** Told when the listen connection drops or fails to reconnect. */
  onListenError?: (error: unknown) => void;
}

/**
 * How long one attempt to connect may take before it fails with 503: while PostgreSQL is unreachable requests fail
 * fast instead of piling up (refused at once, or after this when the host does not answer), and every fresh attempt
 * connects again, so the pool recovers by itself once the server is back.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * How long a request may wait for a pooled connection while all are busy. Longer than a connection attempt: a burst
 * of requests queued behind a full pool is load to serve, not an outage (a 5 s bound answered a burst of 500
 * generations with 503s while PostgreSQL was up); still bounded, so an overloaded instance sheds load with 503.
 */
const ACQUIRE_TIMEOUT_MS = 30_000;

/** A client whose own connection attempt is bounded by CONNECT_TIMEOUT_MS, whatever the pool's wait for a free one. */
class BoundedConnectClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super({ ...config, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }
}

/** A checked-out client emits 'error' when its connection drops, even mid-query; unheard, that would crash the process. */
const ignoreError = () => undefined;

/** A PostgreSQL database through a pg pool. */
export function createPostgresDb(connectionString: string, options: PostgresOptions): Db {
  // keepAlive: a connection silently dropped by a NAT or proxy is noticed instead of hanging its next query.
  const pool = new pg.Pool({ connectionString, max: options.poolSize, Client: BoundedConnectClient, connectionTimeoutMillis: ACQUIRE_TIMEOUT_MS, keepAlive: true });
  // An idle client's error (e.g. the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', ignoreError);
  const base = wrap(pool);
  const shared = createStatementCoalescer((text) => pool.query(text) as unknown as Promise<pg.QueryResult | pg.QueryResult[]>);
  const { listenUrl, onListenError } = options;
  return {
    kind: 'postgres',
    canListen: listenUrl !== undefined || options.poolMode !== 'transaction',
    query: base.query,
    exec: base.exec,
    async transaction(fn, options) {
      const client = await pool.connect().catch(translateConnectionFailure);
      client.on('error', ignoreError);
      const tx = wrap(client);
      // A client whose rollback fails (its connection broke) is destroyed, not handed to the next request.
      let broken: Error | undefined;
      try {
        await tx.exec(beginStatement(options));
        const result = await fn(tx);
        await tx.exec('commit');
        return result;
      } catch (error) {
        broken = await client.query('rollback').then(() => undefined, (rollbackError: Error) => rollbackError);
        throw error;
      } finally {
        client.off('error', ignoreError);
        client.release(broken);
      }
    },
    async queryInTransaction<Row>(sql: string, params: readonly unknown[], options: TransactionOptions): Promise<QueryResult<Row>> {
      // Statements sent in one simple-protocol message run as one implicit transaction, so the settings are local
      // to it, and a failure rolls it back and ends it: no begin, no commit, one round trip.
      const settings = settingsStatement(options);
      const statement = inlineParams(sql, params);
      if (options.share) {
        const group = `${options.share}:${Object.keys(options.settings ?? {}).sort().join(',')}`;
        return (await shared({ group, settings, statement, readOnly: options.share === 'read' }).catch(translateConnectionFailure)) as QueryResult<Row>;
      }
      const text = settings ? `${settings}; ${statement}` : statement;
      const results = (await pool.query(text).catch(translateConnectionFailure)) as unknown as pg.QueryResult | pg.QueryResult[];
      const result = Array.isArray(results) ? results[results.length - 1]! : results;
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async listen(channel, onMessage, onResumed) {
      if (!listenUrl && options.poolMode === 'transaction') throw new Error('LISTEN needs a session: behind a transaction pooler, set a listen URL');
      // A connection of its own, outside the pool, that reconnects when PostgreSQL restarts.
      return listenWithReconnect(listenUrl ?? connectionString, channel, onMessage, { onError: onListenError, onResumed });
    },
    close: () => pool.end(),
  };
}
