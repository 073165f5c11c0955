import type { Queryable } from '../db.js';

/** How long a key's first response is kept. */
export const IDEMPOTENCY_TTL_HOURS = 24;

export type IdempotencyClaim = { kind: 'new' } | { kind: 'replay'; requestHash: string; taskId: number | null };

/**
 * Claims `key` for this request inside the creating transaction. A concurrent request with the same key waits on
 * the unique index until this transaction ends, then sees the first request's task. Expired keys are reclaimed.
 */
export async function claimIdempotencyKey(db: Queryable, input: { userId: string; key: string; requestHash: string }): Promise<IdempotencyClaim> {
  const inserted = await db.query(
    `insert into idempotency_keys (user_id, key, request_hash) values ($1, $2, $3)
     on conflict (user_id, key) do update set request_hash = excluded.request_hash, task_id = null, created_at = now()
       where idempotency_keys.created_at < now() - make_interval(hours => $4)
     returning 1`,
    [input.userId, input.key, input.requestHash, IDEMPOTENCY_TTL_HOURS],
  );
  if (inserted.rowCount > 0) return { kind: 'new' };
  const { rows } = await db.query<{ request_hash: string; task_id: number | null }>(
    `select request_hash, task_id from idempotency_keys where user_id = $1 and key = $2`,
    [input.userId, input.key],
  );
  const row = rows[0]!;
  return { kind: 'replay', requestHash: row.request_hash, taskId: row.task_id };
}

export async function attachTaskToKey(db: Queryable, input: { userId: string; key: string; taskId: number }): Promise<void> {
  await db.query(`update idempotency_keys set task_id = $3 where user_id = $1 and key = $2`, [input.userId, input.key, input.taskId]);
}

/** Forgets keys past their lifetime. */
export async function deleteExpiredIdempotencyKeys(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `delete from idempotency_keys where created_at < now() - make_interval(hours => $1)`,
    [IDEMPOTENCY_TTL_HOURS],
  );
  return rowCount;
}
