import type { Queryable } from '../db.js';

/** What a mailed link lets its holder do. */
export type EmailTokenPurpose = 'confirm' | 'recover' | 'email_change';

/** A token used up: its user, and for an email change the address it leads to (NULL otherwise; migration 0021). */
export interface EmailTokenUse {
  userId: string;
  newEmail: string | null;
}

/**
 * Stores a token's hash for `userId`, replacing the user's earlier tokens of the same purpose: only the newest link
 * mailed works. `newEmail` is given exactly for an email change (the table checks it).
 */
export async function replaceEmailToken(
  db: Queryable,
  input: { userId: string; purpose: EmailTokenPurpose; tokenHash: Buffer; expiresAt: Date; newEmail?: string },
): Promise<void> {
  await db.query(
    `with earlier as (delete from auth_email_tokens where user_id = $1 and purpose = $2)
     insert into auth_email_tokens (token_hash, user_id, purpose, expires_at, new_email) values ($3, $1, $2, $4::timestamptz, $5)`,
    [input.userId, input.purpose, input.tokenHash, input.expiresAt.toISOString(), input.newEmail ?? null],
  );
}

/**
 * Uses up a token: deletes it and returns its user when it had not expired by `now`. One statement, so two requests
 * with one token cannot both use it. Unknown, used and expired tokens all return undefined (an expired one is gone too).
 */
export async function consumeEmailToken(
  db: Queryable,
  input: { purpose: EmailTokenPurpose; tokenHash: Buffer; now: Date },
): Promise<EmailTokenUse | undefined> {
  const { rows } = await db.query<{ user_id: string; new_email: string | null; live: boolean }>(
    `delete from auth_email_tokens where token_hash = $1 and purpose = $2
     returning user_id, new_email, expires_at > $3::timestamptz as live`,
    [input.tokenHash, input.purpose, input.now.toISOString()],
  );
  return rows[0]?.live ? { userId: rows[0].user_id, newEmail: rows[0].new_email } : undefined;
}

/** Deletes every token of the user: links mailed before stop working. */
export async function deleteEmailTokensOfUser(db: Queryable, userId: string): Promise<void> {
  await db.query('delete from auth_email_tokens where user_id = $1', [userId]);
}

/** Deletes tokens that expired before `before`: they can no longer be used. */
export async function deleteExpiredEmailTokens(db: Queryable, before: Date): Promise<void> {
  await db.query('delete from auth_email_tokens where expires_at < $1::timestamptz', [before.toISOString()]);
}
