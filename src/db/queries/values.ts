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
