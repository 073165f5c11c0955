/** Timestamps leave the query layer as ISO strings, whichever driver produced them. */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** SQLSTATE of a driver error, when it has one (pg and PGlite both set `code`). */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
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
