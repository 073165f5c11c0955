import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Queryable } from '../db/db.js';
import { consumeEmailToken, replaceEmailToken, type EmailTokenPurpose, type EmailTokenUse } from '../db/queries/email-tokens.js';
import { errors } from '../errors.js';

/** How long a mailed link works: a day to confirm an address (or a new one), an hour to reset a password. */
export const EMAIL_TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  confirm: 24 * 3600_000,
  recover: 3600_000,
  email_change: 24 * 3600_000,
};

/** The web app's page each link opens, which posts the token to the API. */
const PAGE: Record<EmailTokenPurpose, string> = { confirm: '/confirm', recover: '/reset-password', email_change: '/change-email' };

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/** The link to the web app's page (under `origin`) for a token of `purpose`. */
export function pageLink(origin: string, purpose: EmailTokenPurpose, token: string): string {
  return `${origin}${PAGE[purpose]}?token=${token}`;
}

/**
 * Makes a token for `userId`: 256 random bits, of which only the SHA-256 is stored; `newEmail` is the address an
 * email change leads to (only for that purpose). Earlier tokens of the same purpose stop working.
 */
export async function createEmailToken(
  deps: { db: Queryable; clock: Clock },
  input: { userId: string; purpose: EmailTokenPurpose; newEmail?: string },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.clock.now().getTime() + EMAIL_TOKEN_TTL_MS[input.purpose]);
  const { userId, purpose, newEmail } = input;
  await replaceEmailToken(deps.db, { userId, purpose, tokenHash: hashOf(token), expiresAt, ...(newEmail !== undefined && { newEmail }) });
  return token;
}

/** Makes a link to the web app's page under `origin` (see createEmailToken). */
export async function createEmailLink(
  deps: { db: Queryable; clock: Clock },
  input: { userId: string; purpose: EmailTokenPurpose; origin: string },
): Promise<string> {
  return pageLink(input.origin, input.purpose, await createEmailToken(deps, input));
}

/** Uses up a link's token and returns its user; unknown, used, replaced and expired tokens are refused alike (400). */
export async function useEmailToken(
  deps: { db: Queryable; clock: Clock },
  input: { purpose: EmailTokenPurpose; token: string },
): Promise<string> {
  return (await useToken(deps, input)).userId;
}

/** Uses up an email change's token (as useEmailToken): its user and the address the change leads to. */
export async function useEmailChangeToken(deps: { db: Queryable; clock: Clock }, token: string): Promise<{ userId: string; newEmail: string }> {
  const use = await useToken(deps, { purpose: 'email_change', token });
  // The table holds an address for every email_change token (migration 0021).
  if (use.newEmail === null) throw errors.invalidEmailToken();
  return { userId: use.userId, newEmail: use.newEmail };
}

async function useToken(deps: { db: Queryable; clock: Clock }, input: { purpose: EmailTokenPurpose; token: string }): Promise<EmailTokenUse> {
  const use = await consumeEmailToken(deps.db, { purpose: input.purpose, tokenHash: hashOf(input.token), now: deps.clock.now() });
  if (!use) throw errors.invalidEmailToken();
  return use;
}
