import { randomBytes } from 'node:crypto';
import type { PasswordHasher } from '../auth/password.js';
import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { clearAttempts } from '../db/queries/auth-attempt-limits.js';
import { consumeEmailToken, type EmailTokenPurpose } from '../db/queries/email-tokens.js';
import { findUserByEmail, findUserById, markEmailConfirmed } from '../db/queries/users.js';
import { AppError, errors } from '../errors.js';
import type { MailMessage } from '../mail/mailer.js';
import { normaliseEmail, signUp } from './accounts.js';
import { limitLinkMails, limitSignups, type AuthLimitDeps } from './auth-limits.js';
import { mailedSecret, useEmailCode, type MailStyle } from './email-codes.js';
import { createEmailToken, useEmailToken } from './email-links.js';

export interface SignInMailDeps extends AuthLimitDeps {
  passwords: PasswordHasher;
  signupCredits: number;
}

/**
 * A sign-in link and code asked for `email` (Supabase Auth's signInWithOtp): the mail to send, or undefined when no
 * account has the address and `createUser` is false. With `createUser`, an unknown address gets an account without a
 * password, which is a signup: it counts against the signup limit of the requesting address. The mail carries a
 * recovery token, as Supabase Auth's magic links do. Counted against the mail limits whether or not an account
 * exists, and the caller answers alike either way.
 */
export async function prepareSignInMail(
  deps: SignInMailDeps,
  input: { email: string; address: string; createUser: boolean; style: MailStyle },
): Promise<MailMessage | undefined> {
  const email = normaliseEmail(input.email);
  await limitLinkMails(deps, { kind: 'recover', address: input.address, email });
  let user: { id: string; email: string } | undefined = await findUserByEmail(deps.db, email);
  if (!user && input.createUser) {
    await limitSignups(deps, input.address);
    user = await signUp(deps, { email });
  }
  if (!user) {
    // A token statement all the same, as for a password reset to an unknown address: alike in time.
    await consumeEmailToken(deps.db, { purpose: 'recover', tokenHash: randomBytes(32), now: deps.clock.now() });
    return undefined;
  }
  const token = await createEmailToken(deps, { userId: user.id, purpose: 'recover' });
  const secret = await mailedSecret(deps, { userId: user.id, purpose: 'recover', token, style: input.style });
  return {
    to: user.email,
    subject: 'Your sign-in link',
    text: `Sign in to SimpleVideo by opening this link within an hour:\n${secret}\n\nIf you did not ask to sign in, ignore this message.`,
  };
}

/** A mailed secret as Supabase Auth's verify takes it: a link's token, or the address and the code mailed to it. */
export type EmailSecret = { token: string } | { email: string; code: string };

/**
 * Uses up a mailed token or code of one of `purposes` and returns its user, who then gets a session: opening the
 * mail proves the address, so it is marked confirmed, and a recovery clears the account's failed sign-ins (as a
 * password reset does). Unknown, used, replaced and expired secrets are refused alike (400 invalid_token).
 */
export async function signInWithEmailSecret(
  deps: { db: Db; clock: Clock },
  input: { purposes: readonly EmailTokenPurpose[]; secret: EmailSecret },
): Promise<AuthenticatedUser> {
  const used = 'token' in input.secret ? await useToken(deps, input.purposes, input.secret.token) : await useEmailCode(deps, { ...input.secret, purposes: input.purposes });
  await markEmailConfirmed(deps.db, used.userId);
  const user = await findUserById(deps.db, used.userId);
  if (!user) throw errors.invalidEmailToken();
  if (used.purpose === 'recover') await clearAttempts(deps.db, 'login', user.email);
  return { id: user.id, email: user.email };
}

/** The first of `purposes` the token is one of; a token is one purpose's, so at most one matches. */
async function useToken(deps: { db: Db; clock: Clock }, purposes: readonly EmailTokenPurpose[], token: string) {
  for (const purpose of purposes) {
    try {
      return { userId: await useEmailToken(deps, { purpose, token }), purpose };
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'invalid_token')) throw error;
    }
  }
  throw errors.invalidEmailToken();
}
