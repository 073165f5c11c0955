import type { Queryable } from '../db.js';
import { sqlState } from './values.js';

/** Lock conflicts PostgreSQL resolves by aborting one side: the original system's writers may take locks in another order. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

/**
 * Takes over the rows the original system wrote that are not ours yet (adopt_original_rows, migration 0015): their
 * product, provider and status in our terms, and a ledger that explains every balance. Safe to run again, and while
 * the original system still writes; tried again when a lock conflict with it aborts the run. As the migrating role.
 */
export async function adoptOriginalRows(db: Queryable): Promise<{ tasks: number; users: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await db.query<{ tasks: number; users: number }>('select tasks, users from adopt_original_rows()');
      return { tasks: Number(rows[0]!.tasks), users: Number(rows[0]!.users) };
    } catch (error) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has(sqlState(error) ?? '')) throw error;
    }
  }
}
