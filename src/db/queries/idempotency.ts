import type { Queryable } from '../db.js';

/** How long a key's first response is kept (create_charged_task reclaims older keys). */
export const IDEMPOTENCY_TTL_HOURS = 24;

/** Forgets keys past their lifetime. */
export async function deleteExpiredIdempotencyKeys(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `delete from idempotency_keys where created_at < now() - make_interval(hours => $1)`,
    [IDEMPOTENCY_TTL_HOURS],
  );
  return rowCount;
}
