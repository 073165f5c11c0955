import type { Db, Queryable, TransactionOptions } from './db.js';

/** The JWT claims a user's transaction runs with, in Supabase's shape. */
export interface UserClaims {
  sub: string;
  email: string;
  role: 'authenticated';
  aud: 'authenticated';
}

export function userClaims(user: { id: string; email: string }): UserClaims {
  return { sub: user.id, email: user.email, role: 'authenticated', aud: 'authenticated' };
}

/** Transaction-local, as PostgREST and supabase/storage do: RLS policies then see auth.uid() and auth.jwt(). */
function scopeSettings(role: string, claims: object): TransactionOptions {
  return { settings: { role, 'request.jwt.claims': JSON.stringify(claims) } };
}

const SERVICE_SCOPE = scopeSettings('service_role', { role: 'service_role' });

/** Runs `fn` in one transaction as the user: the database's RLS policies refuse every other user's rows. */
export function withUserScope<T>(db: Db, user: { id: string; email: string }, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(fn, scopeSettings('authenticated', userClaims(user)));
}

/** A Queryable whose every statement is a transaction of its own under `options`: one round trip each. */
function statementwise(db: Db, options: TransactionOptions): Queryable {
  return {
    query: (sql, params = []) => db.queryInTransaction(sql, params, options),
    exec: () => Promise.reject(new Error('single statements only')),
  };
}

/**
 * For reads of one statement each: every query `fn` makes runs in its own read-only transaction as the user, under
 * the same RLS scope as withUserScope, in one round trip instead of three, shared with other reads issued at the
 * same moment. Not for several statements that must see one snapshot: use withUserScope.
 */
export function readAsUser<T>(db: Db, user: { id: string; email: string }, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return fn(statementwise(db, { ...scopeSettings('authenticated', userClaims(user)), share: 'read' }));
}

/**
 * As the service role, every statement its own transaction in one round trip, shared with other such writes of the
 * same moment: for the jobs' guarded single-statement writes of one task's status row (each stands alone), never
 * for statements that must commit together.
 *
 * `waitForFlush: false` commits without waiting for the WAL flush (`synchronous_commit = off`): only for what can be
 * learned again from the provider (what a status poll or callback reported), since a crash of PostgreSQL itself
 * may forget the last fraction of a second of such commits, and the next poll then records them again. It keeps
 * the commits of all instances from queueing behind each other's disk flush: status changes send a NOTIFY, and
 * PostgreSQL serialises the commits of notifying transactions, flush included.
 */
export function asServiceStatements<T>(db: Db, fn: (q: Queryable) => Promise<T>, options: { waitForFlush?: boolean } = {}): Promise<T> {
  const settings = { ...SERVICE_SCOPE.settings, ...(options.waitForFlush === false ? { synchronous_commit: 'off' } : {}) };
  return fn(statementwise(db, { settings, share: 'write' }));
}

/**
 * As the connection's own role (no API role, no claims), every statement its own transaction in one round trip,
 * shared with other such statements of the same moment: for the server's own bookkeeping that no API role may touch
 * (the request counters), one guarded statement each.
 */
export function asServerStatements<T>(db: Db, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return fn(statementwise(db, { share: 'write' }));
}

/** Runs `fn` in one transaction as Supabase's `service_role`: for jobs and public reads across users. */
export function asService<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(fn, SERVICE_SCOPE);
}
