import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { clearAttempts, countAttempt } from '../db/queries/auth-attempt-limits.js';
import { deleteEmailToken, lockEmailCodes, setEmailCode } from '../db/queries/email-codes.js';
import type { EmailTokenPurpose } from '../db/queries/email-tokens.js';
import { findUserByEmail } from '../db/queries/users.js';
import { errors } from '../errors.js';
import { normaliseEmail } from './accounts.js';
import { pageLink } from './email-links.js';

/** How long a mailed code works: an hour, Supabase Auth's default OTP expiry. */
export const EMAIL_CODE_TTL_MS = 3600_000;
/** Wrong codes an account takes per code lifetime, from every address together: 5 in 10^6 is the odds of a guess. */
export const EMAIL_CODE_TRIES = 5;
const BUCKET = 'email-code';
/** Stands in for the account of an unknown address, so its check costs what a known one's does. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

// Salted with the account: one code's hash says nothing about another account's.
const hashOf = (userId: string, code: string) => createHash('sha256').update(`${userId}:${code}`).digest();

/** Adds a 6-digit code to the user's token of `purpose` just made (email-links.ts createEmailToken); returns it. */
export async function addEmailCode(deps: { db: Queryable; clock: Clock }, input: { userId: string; purpose: EmailTokenPurpose }): Promise<string> {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(deps.clock.now().getTime() + EMAIL_CODE_TTL_MS);
  await setEmailCode(deps.db, { ...input, codeHash: hashOf(input.userId, code), expiresAt });
  return code;
}

/**
 * Uses up the code mailed to `email` with a token of one of `purposes` (the link goes with it) and returns the user
 * and which purpose it was. Each try counts against the account before anything is looked up; past the limit, 429
 * without a check. Unknown addresses, wrong, used and expired codes are refused alike (400 invalid_token), in about
 * the same time; hashes are compared in constant time.
 */
export async function useEmailCode(
  deps: { db: Db; clock: Clock },
  input: { email: string; code: string; purposes: readonly EmailTokenPurpose[] },
): Promise<{ userId: string; purpose: EmailTokenPurpose }> {
  const email = normaliseEmail(input.email);
  const now = deps.clock.now();
  const count = await countAttempt(deps.db, { bucket: BUCKET, subject: email, now, windowMs: EMAIL_CODE_TTL_MS });
  if (count.hits > EMAIL_CODE_TRIES) {
    throw errors.rateLimited(Math.max(1, Math.ceil((count.windowEndsAt.getTime() - now.getTime()) / 1000)));
  }
  const user = await findUserByEmail(deps.db, email);
  const presented = hashOf(user?.id ?? NOBODY, input.code);
  const purpose = await deps.db.transaction(async (tx) => {
    const candidates = await lockEmailCodes(tx, { userId: user?.id ?? NOBODY, purposes: input.purposes, now });
    // Every candidate is compared (at most one per purpose): no early exit to time.
    const match = candidates.reduce<(typeof candidates)[number] | undefined>((found, c) => (timingSafeEqual(c.codeHash, presented) ? c : found), undefined);
    if (match) await deleteEmailToken(tx, match.tokenHash);
    return match?.purpose;
  });
  if (!user || !purpose) throw errors.invalidEmailToken();
  await clearAttempts(deps.db, BUCKET, email);
  return { userId: user.id, purpose };
}

/**
 * How a mail presents its token: the link it opens (the web app's page by default, email-links.ts pageLink) and
 * whether a 6-digit code stands beside it, for clients that ask for one (Supabase Auth's verifyOtp).
 */
export interface MailStyle {
  link(token: string, purpose: EmailTokenPurpose): string;
  withCode: boolean;
}

/** The lines of a mail that carry its secret: the link, and the code when the style has one. */
export async function mailedSecret(
  deps: { db: Queryable; clock: Clock },
  input: { userId: string; purpose: EmailTokenPurpose; token: string; style: MailStyle },
): Promise<string> {
  const link = input.style.link(input.token, input.purpose);
  if (!input.style.withCode) return link;
  const code = await addEmailCode(deps, { userId: input.userId, purpose: input.purpose });
  return `${link}\n\nOr enter this code where you asked for it: ${code} (it works for an hour)`;
}

/** The web app's own mails: a link to its page under `origin`, no code. */
export function webAppStyle(origin: string): MailStyle {
  return { link: (token, purpose) => pageLink(origin, purpose, token), withCode: false };
}
