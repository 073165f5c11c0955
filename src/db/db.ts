/** The one database interface the rest of the code sees, whatever runs underneath (pg pool or PGlite). */

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** Anything that runs a parameterized query: the database itself or an open transaction. */
export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  settings?: Readonly<Record<string, string>>;
  /**
   * queryInTransaction only. On PostgreSQL, statements of the same moment may share one message (coalescer.ts):
   * 'read' for a statement that only reads (it runs read-only); 'write' for a guarded write of rows that no other
   * statement of the moment writes (a leased task's status), which may commit together with others, or be sent
   * again on its own if another fails.
   */
  share?: 'read' | 'write';
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Whether `listen` works: not behind a transaction pooler without a listen URL (callers poll instead). */
  readonly canListen: boolean;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. `settings` are
   * transaction-local configuration values (`set_config(name, value, true)`) applied as the transaction begins.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * One statement in a transaction of its own with `settings`, in a single round trip where the driver allows
   * (PostgreSQL: one simple-protocol message — an implicit transaction — with the parameters inlined as escaped
   * literals).
   */
  queryInTransaction<Row = Record<string, unknown>>(sql: string, params: readonly unknown[], options: TransactionOptions): Promise<QueryResult<Row>>;
  /**
   * Subscribes to a NOTIFY channel. Resolves to an unsubscribe function.
   * PostgreSQL: on a dedicated connection outside the pool (to the listen URL, if one is set) that reconnects when it
   * drops; `onResumed` is called once it listens again, as what was notified in between is lost. On PGlite
   * notifications only reach the same process, which is all PGlite serves, and none is ever lost.
   */
  listen(channel: string, onMessage: (payload: string) => void, onResumed?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
