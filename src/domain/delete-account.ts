import type { PasswordHasher } from '../auth/password.js';
import type { Db } from '../db/db.js';
import { countTasksInFlight, deleteTasksOfUser, deleteUser, lockAccount } from '../db/queries/account-deletion.js';
import { deleteSessionsOfUser } from '../db/queries/auth-sessions.js';
import { errors } from '../errors.js';
import type { AuthLimitDeps } from './auth-limits.js';
import type { LiveSessions } from './live-sessions.js';
import { confirmPassword } from './passwords.js';

export interface DeleteAccountDeps extends AuthLimitDeps {
  db: Db;
  passwords: PasswordHasher;
  liveSessions: LiveSessions;
}

/**
 * Deletes a signed-in user's account for good, once they have given its password: their tasks (their files queued
 * for the archive pass, no storage I/O here), favorites, credits, subscriptions, sessions and the account itself,
 * in one transaction. The ledger keeps its rows with no user (migration 0020). Refused (409) while a task is in
 * flight: the provider is still working on credits already spent, and its result or refund would have no owner.
 * Password guesses count against the account's sign-in limit, so a stolen session cannot try passwords freely.
 */
export async function deleteAccount(deps: DeleteAccountDeps, input: { userId: string; password: string }): Promise<void> {
  await confirmPassword(deps, { userId: input.userId, password: input.password, wrong: errors.accountPasswordWrong });
  const ended = await deps.db.transaction(async (tx) => {
    if (!(await lockAccount(tx, input.userId))) throw errors.unauthorized();
    const inFlight = await countTasksInFlight(tx, input.userId);
    if (inFlight > 0) throw errors.accountTasksInFlight(inFlight);
    await deleteTasksOfUser(tx, input.userId);
    const sessions = await deleteSessionsOfUser(tx, { userId: input.userId });
    await deleteUser(tx, input.userId);
    return sessions;
  });
  deps.liveSessions.forget(ended);
}
