import type { Queryable } from '../db.js';

/**
 * Fails an unfinished task and gives its charge back, exactly once: the guarded status update takes the row lock,
 * so of two concurrent callers only the first changes anything, and a unique index allows one refund per task.
 * Runs as the service role. Resolves to the refunded amount, or null when the task was already finished.
 */
export async function failAndRefundTask(db: Queryable, taskId: number, reason: string): Promise<number | null> {
  const failed = await db.query(
    `update video_generation_task_statuses
        set status = 'failed', error_message = $2, refunded = true, finished_at = now(), updated_at = now(),
            locked_by = null, locked_until = null
      where task_id = $1 and status in ('pending', 'processing') and not refunded`,
    [taskId, reason],
  );
  if (failed.rowCount === 0) return null;
  return refundCharge(db, taskId);
}

/** Gives back what the task was charged (from the ledger, not the task row, which its owner may update). */
async function refundCharge(db: Queryable, taskId: number): Promise<number | null> {
  const { rows } = await db.query<{ user_id: string; amount: number; balance: number }>(
    `update user_credits uc
        set credits_balance = uc.credits_balance + c.amount,
            total_credits_used = uc.total_credits_used - c.amount,
            updated_at = now()
       from (select user_id, -delta as amount from credit_ledger where task_id = $1 and reason = 'generation') c
      where uc.user_id = c.user_id
      returning uc.user_id, c.amount, uc.credits_balance as balance`,
    [taskId],
  );
  const refund = rows[0];
  if (!refund) return null;
  await db.query(
    `insert into credit_ledger (user_id, delta, reason, task_id, balance_after) values ($1, $2, 'refund', $3, $4)`,
    [refund.user_id, refund.amount, taskId, refund.balance],
  );
  return refund.amount;
}
