import type { Queryable } from '../db.js';
import { iso } from './values.js';

/** The whole credit row, as the original's fetch-credit answered it (its front end reads id, level and last_purchase_date). */
export interface CreditsRow {
  id: number;
  user_id: string;
  credits_balance: number;
  total_credits_purchased: number;
  total_credits_used: number;
  level: string;
  last_purchase_date: string | null;
  created_at: string;
  updated_at: string;
}

type RawCredits = Omit<CreditsRow, 'id' | 'last_purchase_date' | 'created_at' | 'updated_at'> & {
  id: number | string;
  last_purchase_date: Date | null;
  created_at: Date;
  updated_at: Date;
};

const CREDIT_COLUMNS = 'id, user_id, credits_balance, total_credits_purchased, total_credits_used, level, last_purchase_date, created_at, updated_at';

const toCredits = (r: RawCredits): CreditsRow => ({
  ...r,
  id: Number(r.id),
  last_purchase_date: r.last_purchase_date && iso(r.last_purchase_date),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

/** The user's credit account (RLS shows a user only their own). */
export async function findCredits(db: Queryable, userId: string): Promise<CreditsRow | undefined> {
  const { rows } = await db.query<RawCredits>(
    `select ${CREDIT_COLUMNS} from user_credits where user_id = $1`,
    [userId],
  );
  return rows[0] && toCredits(rows[0]);
}

/**
 * Opens the user's credit account with its signup credits and their ledger row, unless it exists (exactly once,
 * also under concurrency: open_credit_account, migration 0010). False when the user is not in auth.users.
 * As the connection's own role, which reads auth.users.
 */
export async function openCreditAccount(db: Queryable, userId: string, credits: number): Promise<boolean> {
  const { rows } = await db.query<{ known: boolean }>(`select open_credit_account($1, $2) as known`, [userId, credits]);
  return rows[0]!.known;
}

/**
 * The contract's Update Admin Credits Script for any user: sets the balance to `balance`, adds it to the
 * purchased total, optionally sets the level, and records the difference in the ledger. Service role only.
 */
export async function setCreditBalance(db: Queryable, input: { userId: string; balance: number; level?: string }): Promise<CreditsRow> {
  const { rows: before } = await db.query<{ credits_balance: number }>(
    `select credits_balance from user_credits where user_id = $1 for update`,
    [input.userId],
  );
  const { rows } = await db.query<RawCredits>(
    `insert into user_credits (level, user_id, credits_balance, total_credits_purchased, total_credits_used)
     values (coalesce($3, 'free'), $1, $2, $2, 0)
     on conflict (user_id) do update set
       level = coalesce($3, user_credits.level),
       credits_balance = $2,
       total_credits_purchased = excluded.total_credits_purchased + user_credits.total_credits_purchased,
       last_purchase_date = now(),
       updated_at = now()
     returning ${CREDIT_COLUMNS}`,
    [input.userId, input.balance, input.level ?? null],
  );
  const delta = input.balance - (before[0]?.credits_balance ?? 0);
  if (delta !== 0) {
    await db.query(
      `insert into credit_ledger (user_id, delta, reason, balance_after) values ($1, $2, 'grant', $3)`,
      [input.userId, delta, input.balance],
    );
  }
  return toCredits(rows[0]!);
}

export interface LedgerEntry {
  id: number;
  delta: number;
  reason: string;
  task_id: number | null;
  balance_after: number;
  created_at: string;
}

/** The user's ledger, newest first, `before` an entry id for paging. */
export async function listLedger(db: Queryable, userId: string, page: { limit: number; before?: number }): Promise<LedgerEntry[]> {
  const { rows } = await db.query<Omit<LedgerEntry, 'created_at'> & { created_at: Date }>(
    `select id, delta, reason, task_id, balance_after, created_at from credit_ledger
      where user_id = $1 and ($2::bigint is null or id < $2)
      order by id desc limit $3`,
    [userId, page.before ?? null, page.limit],
  );
  return rows.map((r) => ({ ...r, created_at: iso(r.created_at) }));
}
