import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { openCreditAccount } from '../db/queries/credits.js';

/** Decides whether a verified token's user may in: resolves false for a user that is not in auth.users. */
export type AccountGate = (user: AuthenticatedUser) => Promise<boolean>;

const REMEMBER_MS = 10 * 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * A valid token is not enough: its user must exist in auth.users (a token for a user not there, or no longer there,
 * is refused rather than failing later on a foreign key), and every such user, whoever made it (our signup,
 * Supabase Auth, an operator), has exactly one credit account, opened here the first time with the signup credits.
 * Admitted users are remembered for a few minutes, so only a user's first request in a while costs a round trip.
 */
export function createAccountGate(deps: { db: Db; clock: Clock; signupCredits: number }): AccountGate {
  const admittedUntil = new Map<string, number>();
  return async (user) => {
    const now = deps.clock.now().getTime();
    if ((admittedUntil.get(user.id) ?? 0) > now) return true;
    if (!(await openCreditAccount(deps.db, user.id, deps.signupCredits))) return false;
    admittedUntil.delete(user.id);
    if (admittedUntil.size >= MAX_REMEMBERED) admittedUntil.delete(admittedUntil.keys().next().value!);
    admittedUntil.set(user.id, now + REMEMBER_MS);
    return true;
  };
}
