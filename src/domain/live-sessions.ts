import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { sessionExists } from '../db/queries/auth-sessions.js';
import type { AccountGate } from './account-gate.js';

/**
 * How long a session found live is believed without asking again. A session ended on this instance is forgotten
 * at once; one ended on another instance stops working here within this time.
 */
export const LIVE_SESSION_REMEMBER_MS = 5_000;
const MAX_REMEMBERED = 10_000;

/** Whether the session an access token names is still going: ended sessions' tokens are refused before they expire. */
export interface LiveSessions {
  /** False for a token that names no session, or one that has ended. */
  isLive(user: AuthenticatedUser): Promise<boolean>;
  /** Sessions just ended here: their tokens stop working on this instance at once. */
  forget(sessionIds: readonly string[]): void;
}

/** Sessions found live are remembered briefly, so a busy client costs one lookup per few seconds, not per request. */
export function createLiveSessions(deps: { db: Db; clock: Clock }): LiveSessions {
  const remembered = new Map<string, { userId: string; until: number }>();
  return {
    async isLive(user) {
      if (!user.sessionId) return false;
      const now = deps.clock.now().getTime();
      const known = remembered.get(user.sessionId);
      if (known && known.userId === user.id && known.until > now) return true;
      remembered.delete(user.sessionId);
      if (!(await sessionExists(deps.db, { sessionId: user.sessionId, userId: user.id }))) return false;
      if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
      remembered.set(user.sessionId, { userId: user.id, until: now + LIVE_SESSION_REMEMBER_MS });
      return true;
    },
    forget(sessionIds) {
      for (const id of sessionIds) remembered.delete(id);
    },
  };
}

/** The gate for our own accounts' tokens: the token's session must be live, and then the account gate decides. */
export function requireLiveSession(sessions: LiveSessions, admit: AccountGate): AccountGate {
  return async (user) => (await sessions.isLive(user)) && admit(user);
}
