import type { Queryable } from '../db.js';
import { isLockConflict } from './values.js';

/** Runs of the adoption before a lock conflict reaches the caller: the original system's writers may lock in another order. */
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
      if (attempt >= ATTEMPTS || !isLockConflict(error)) throw error;
    }
  }
}
