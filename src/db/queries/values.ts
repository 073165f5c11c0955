/** Timestamps leave the query layer as ISO strings, whichever driver produced them. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/**
 * SQLSTATE of an error the server sent (pg and PGlite both set `code` and `severity`); undefined for a socket's
 * errors, whose `code` (ECONNRESET, EPIPE…) is Node's, not PostgreSQL's.
 */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('severity' in error) || !('code' in error)) return undefined;
  return typeof error.code === 'string' && error.code.length === 5 ? error.code : undefined;
}

export const UNIQUE_VIOLATION = '23505';

/**
 * A deadlock or serialization failure: PostgreSQL settled a lock conflict by rolling this transaction back whole,
 * so sending it again is safe.
 */
export function isLockConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40P01' || state === '40001';
}
