import type { Queryable } from '../db.js';
import type { EmailTokenPurpose } from './email-tokens.js';

/** Adds a code to the user's token of `purpose` (the one just stored: there is one per purpose), working until `expiresAt`. */
export async function setEmailCode(
  db: Queryable,
  input: { userId: string; purpose: EmailTokenPurpose; codeHash: Buffer; expiresAt: Date },
): Promise<void> {
  await db.query(
    'update auth_email_tokens set code_hash = $3, code_expires_at = least(expires_at, $4::timestamptz) where user_id = $1 and purpose = $2',
    [input.userId, input.purpose, input.codeHash, input.expiresAt.toISOString()],
  );
}

/** A token that carries a code, as its code is checked against. */
export interface EmailCodeRow {
  tokenHash: Buffer;
  codeHash: Buffer;
  purpose: EmailTokenPurpose;
}

/**
 * The user's unexpired tokens of `purposes` that carry a code, locked until the transaction ends: two requests
 * with one code take turns, and the second finds it used.
 */
export async function lockEmailCodes(
  db: Queryable,
  input: { userId: string; purposes: readonly EmailTokenPurpose[]; now: Date },
): Promise<EmailCodeRow[]> {
  const { rows } = await db.query<{ token_hash: Uint8Array; code_hash: Uint8Array; purpose: EmailTokenPurpose }>(
    `select token_hash, code_hash, purpose from auth_email_tokens
      where user_id = $1 and purpose = any($2::text[]) and code_expires_at > $3::timestamptz
      for update`,
    [input.userId, input.purposes, input.now.toISOString()],
  );
  return rows.map((r) => ({ tokenHash: Buffer.from(r.token_hash), codeHash: Buffer.from(r.code_hash), purpose: r.purpose }));
}

/** Uses up a token found by its code: the link goes with it. */
export async function deleteEmailToken(db: Queryable, tokenHash: Buffer): Promise<void> {
  await db.query('delete from auth_email_tokens where token_hash = $1', [tokenHash]);
}
