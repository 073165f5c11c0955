import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { consumeEmailToken, replaceEmailToken, type EmailTokenPurpose } from '../db/queries/email-tokens.js';
import { errors } from '../errors.js';

/** How long a mailed link works: a day to confirm an address, an hour to reset a password. */
export const EMAIL_TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = { confirm: 24 * 3600_000, recover: 3600_000 };

/** The web app's page each link opens, which posts the token to the API. */
const PAGE: Record<EmailTokenPurpose, string> = { confirm: '/confirm', recover: '/reset-password' };

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/**
 * Makes a link for `userId` under `origin` (the web app's): 256 random bits, of which only the SHA-256 is stored.
 * Earlier links of the same purpose stop working.
 */
export async function createEmailLink(
  deps: { db: Queryable; clock: Clock },
  input: { userId: string; purpose: EmailTokenPurpose; origin: string },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.clock.now().getTime() + EMAIL_TOKEN_TTL_MS[input.purpose]);
  await replaceEmailToken(deps.db, { userId: input.userId, purpose: input.purpose, tokenHash: hashOf(token), expiresAt });
  return `${input.origin}${PAGE[input.purpose]}?token=${token}`;
}

/** Uses up a link's token and returns its user; unknown, used, replaced and expired tokens are refused alike (400). */
export async function useEmailToken(
  deps: { db: Queryable; clock: Clock },
  input: { purpose: EmailTokenPurpose; token: string },
): Promise<string> {
  const userId = await consumeEmailToken(deps.db, { purpose: input.purpose, tokenHash: hashOf(input.token), now: deps.clock.now() });
  if (!userId) throw errors.invalidEmailToken();
  return userId;
}
