import { randomBytes } from 'node:crypto';
import { dummyPasswordHash, type PasswordHasher } from '../auth/password.js';
import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Db, Queryable } from '../db/db.js';
import { clearAttempts } from '../db/queries/auth-attempt-limits.js';
import { consumeEmailToken, deleteEmailTokensOfUser } from '../db/queries/email-tokens.js';
import { findUserByEmail, findUserById, markEmailConfirmed, setPasswordHash, setPendingEmail } from '../db/queries/users.js';
import { errors, type AppError } from '../errors.js';
import type { MailMessage } from '../mail/mailer.js';
import { normaliseEmail } from './accounts.js';
import { limitLinkMails, limitLoginAttempts, type AuthLimitDeps } from './auth-limits.js';
import { mailedSecret, webAppStyle, type MailStyle } from './email-codes.js';
import { createEmailToken, useEmailToken } from './email-links.js';
import { endSessionsOfUser, type SessionDeps } from './sessions.js';

/**
 * A password reset asked for `email`: the mail to send, or undefined when no account has that address. The caller
 * answers alike either way and sends without waiting, so neither the answer nor its time tells whether the account
 * exists; the database work is the same for both (limits, lookup, one token statement). `style` writes the link
 * (and a code) for another client than the web app (Supabase Auth's, under /auth/v1).
 */
export async function preparePasswordResetMail(
  deps: { db: Db; clock: Clock },
  input: { email: string; address: string; origin: string; style?: MailStyle },
): Promise<MailMessage | undefined> {
  const email = normaliseEmail(input.email);
  await limitLinkMails(deps, { kind: 'recover', address: input.address, email });
  const user = await findUserByEmail(deps.db, email);
  if (!user) {
    // A token statement all the same (a token row needs an account, so this one deletes nothing): alike in time.
    await consumeEmailToken(deps.db, { purpose: 'recover', tokenHash: randomBytes(32), now: deps.clock.now() });
    return undefined;
  }
  const token = await createEmailToken(deps, { userId: user.id, purpose: 'recover' });
  const link = await mailedSecret(deps, { userId: user.id, purpose: 'recover', token, style: input.style ?? webAppStyle(input.origin) });
  return {
    to: user.email,
    subject: 'Reset your password',
    text: `Someone (we hope you) asked to reset the password of your SimpleVideo account.\n\nSet a new one by opening this link within an hour:\n${link}\n\nIf it was not you, ignore this message: your password stays as it is.`,
  };
}

/**
 * Sets a new password with a reset link's token (it works once), marks the address confirmed (the link reached it)
 * and ends every session of the user: whoever had the old password is signed out. The caller starts a new session.
 */
export async function resetPassword(
  deps: { db: Db; clock: Clock; passwords: PasswordHasher; sessions: SessionDeps },
  input: { token: string; password: string },
): Promise<AuthenticatedUser> {
  // Hashed before the token is used: a hasher too busy to take it (503) must not cost the user their link.
  const hash = await deps.passwords.hash(input.password);
  const user = await deps.db.transaction(async (tx) => {
    const userId = await useEmailToken({ db: tx, clock: deps.clock }, { purpose: 'recover', token: input.token });
    await setPasswordHash(tx, { userId, hash });
    await forgetMailedRequests(tx, userId);
    await markEmailConfirmed(tx, userId);
    return findUserById(tx, userId);
  });
  if (!user) throw errors.invalidEmailToken();
  await endSessionsOfUser(deps.sessions, { userId: user.id });
  await clearAttempts(deps.db, 'login', user.email);
  return { id: user.id, email: user.email };
}

/**
 * Checks a signed-in user's password before a change they must confirm. A check counts as a sign-in attempt, so a
 * stolen session cannot guess the password without limit; `wrong` is the refusal to throw. Resolves to the account.
 */
export async function confirmPassword(
  deps: AuthLimitDeps & { passwords: PasswordHasher },
  input: { userId: string; password: string; wrong: () => AppError },
): Promise<{ id: string; email: string }> {
  const account = await findUserById(deps.db, input.userId);
  if (!account) throw errors.unauthorized();
  const attempt = await limitLoginAttempts(deps, account.email);
  // An account without a password (made by an operator or a link) is checked against a dummy: it never matches.
  const stored = account.encryptedPassword || (await dummyPasswordHash());
  if (!(await deps.passwords.verify(input.password, stored))) throw input.wrong();
  await attempt.succeeded();
  return account;
}

/**
 * Changes the signed-in user's password after checking the current one, which counts as a sign-in attempt (a stolen
 * session cannot guess it without limit), and ends the user's other sessions; the current one goes on.
 */
export async function changePassword(
  deps: AuthLimitDeps & { passwords: PasswordHasher; sessions: SessionDeps },
  input: { user: AuthenticatedUser; currentPassword: string; newPassword: string },
): Promise<void> {
  await confirmPassword(deps, { userId: input.user.id, password: input.currentPassword, wrong: errors.wrongPassword });
  await setPassword(deps, { user: input.user, password: input.newPassword });
}

/**
 * Sets the signed-in user's password without asking for the current one (Supabase Auth's updateUser: the session,
 * perhaps just opened by a recovery link, is proof enough) and ends their other sessions; the current one goes on.
 * Every link mailed before stops working, and a pending change of address is dropped: whoever knew the old password
 * may have asked for them.
 */
export async function setPassword(
  deps: { db: Db; passwords: PasswordHasher; sessions: SessionDeps },
  input: { user: AuthenticatedUser; password: string },
): Promise<void> {
  const hash = await deps.passwords.hash(input.password);
  await deps.db.transaction(async (tx) => {
    await setPasswordHash(tx, { userId: input.user.id, hash });
    await forgetMailedRequests(tx, input.user.id);
  });
  await endSessionsOfUser(deps.sessions, { userId: input.user.id, ...(input.user.sessionId && { except: input.user.sessionId }) });
}

/** With a new password, links mailed before stop working and a pending change of address is dropped. */
async function forgetMailedRequests(db: Queryable, userId: string): Promise<void> {
  await deleteEmailTokensOfUser(db, userId);
  await setPendingEmail(db, { userId, email: '' });
}
