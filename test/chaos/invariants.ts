import type { Queryable } from '../../src/db/db.js';

export interface Books {
  /** Users whose balance differs from the sum of their ledger. */
  unexplainedBalances: number;
  negativeBalances: number;
  /** Tasks charged more than once, or not at all. */
  badlyCharged: number;
  /** Failed tasks without exactly one refund, and refunds of tasks that did not fail. */
  badRefunds: number;
  unfinished: number;
  completed: number;
  failed: number;
}

/** Everything that must hold whatever failed and whenever: the books balance and every task has ended well. */
export async function checkBooks(db: Queryable): Promise<Books> {
  const one = async (sql: string) => (await db.query<{ n: number }>(sql)).rows[0]!.n;
  return {
    unexplainedBalances: await one(`select count(*)::int as n from user_credits uc
      where uc.credits_balance <> (select coalesce(sum(delta), 0) from credit_ledger l where l.user_id = uc.user_id)`),
    negativeBalances: await one(`select count(*)::int as n from user_credits where credits_balance < 0`),
    badlyCharged: await one(`select count(*)::int as n from video_generation_task_definitions d
      where (select count(*) from credit_ledger l where l.task_id = d.id and l.reason = 'generation') <> 1`),
    badRefunds: await one(`select count(*)::int as n from video_generation_task_statuses s
      where (s.status = 'failed') <> ((select count(*) from credit_ledger l where l.task_id = s.task_id and l.reason = 'refund') = 1)
         or s.refunded <> ((select count(*) from credit_ledger l where l.task_id = s.task_id and l.reason = 'refund') = 1)`),
    unfinished: await one(`select count(*)::int as n from video_generation_task_statuses where status not in ('completed', 'failed')`),
    completed: await one(`select count(*)::int as n from video_generation_task_statuses where status = 'completed'`),
    failed: await one(`select count(*)::int as n from video_generation_task_statuses where status = 'failed'`),
  };
}
