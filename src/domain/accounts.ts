import type { PasswordHasher } from '../auth/password.js';
import { dummyPasswordHash, needsRehash } from '../auth/password.js';
import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Db } from '../db/db.js';
import { openCreditAccount } from '../db/queries/credits.js';
import { EmailTakenError, findUserByEmail, insertUser, replacePasswordHash } from '../db/queries/users.js';
import { errors } from '../errors.js';
import { limitLoginAttempts, type AuthLimitDeps } from './auth-limits.js';

/** Emails are compared as lower-case: one person, one account. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Creates an account with its credit account and signup credits, in one transaction. Without a password (signed up
 * through a mailed code or link), none matches until one is set: '' as Supabase Auth stores it.
 */
export async function signUp(
  deps: { db: Db; signupCredits: number; passwords: PasswordHasher },
  input: { email: string; password?: string },
): Promise<AuthenticatedUser> {
  const encryptedPassword = input.password === undefined ? '' : await deps.passwords.hash(input.password);
  try {
    // As the connection's own role, like Supabase's auth server: the API roles have no rights on auth.users.
    return await deps.db.transaction(async (tx) => {
      const user = await insertUser(tx, { email: normaliseEmail(input.email), encryptedPassword });
      await openCreditAccount(tx, user.id, deps.signupCredits);
      return user;
    });
  } catch (error) {
    if (error instanceof EmailTakenError) throw errors.emailTaken();
    throw error;
  }
}

/**
 * Checks a password; an unknown email and a wrong password fail alike, in about the same time. Each account takes
 * a bounded number of attempts, from all addresses together, so rotating addresses buys no more guesses. An scrypt
 * hash from before bcrypt is replaced by a bcrypt one now that the password is at hand.
 */
export async function logIn(
  deps: AuthLimitDeps & { db: Db; passwords: PasswordHasher },
  input: { email: string; password: string },
): Promise<AuthenticatedUser> {
  const email = normaliseEmail(input.email);
  const attempt = await limitLoginAttempts(deps, email);
  const user = await findUserByEmail(deps.db, email);
  const ok = await deps.passwords.verify(input.password, user?.encryptedPassword ?? (await dummyPasswordHash()));
  if (!user || !ok) throw errors.invalidCredentials();
  await attempt.succeeded();
  if (needsRehash(input.password, user.encryptedPassword)) {
    const to = await deps.passwords.hash(input.password);
    await replacePasswordHash(deps.db, { userId: user.id, from: user.encryptedPassword, to });
  }
  return { id: user.id, email: user.email };
}
