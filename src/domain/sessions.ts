import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import {
  addRefreshToken,
  deleteSession,
  deleteSessionsOfUser,
  findSessionOfRefreshToken,
  insertSession,
  listSessions,
  lockSessionOfRefreshToken,
  refreshTokenRotatedAt,
  type SessionClient,
  type SessionRow,
} from '../db/queries/auth-sessions.js';
import { errors } from '../errors.js';
import type { LiveSessions } from './live-sessions.js';

/**
 * A refresh token used again within this time of its use is taken for a concurrent refresh (two tabs, or two
 * requests of one client, that met an expired access token together) and answered with a token of its own;
 * later, it is a copy in someone else's hands, and the session ends. Supabase Auth's reuse interval, 10 s.
 */
export const REFRESH_REUSE_INTERVAL_MS = 10_000;

export interface SessionDeps {
  db: Db;
  clock: Clock;
  liveSessions: LiveSessions;
  /** A session not refreshed for this long is over (SESSION_IDLE_TIMEOUT_SECONDS). */
  idleTimeoutMs: number;
}

/** A session and the refresh token its client holds now. */
export interface SessionGrant {
  sessionId: string;
  refreshToken: string;
}

/** 256 random bits; only their SHA-256 is stored, so the table alone lets no one refresh. */
function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOf(token) };
}

const hashOf = (token: string) => createHash('sha256').update(token).digest();

/** Starts a session for a user who has just signed in. */
export async function startSession(deps: SessionDeps, user: AuthenticatedUser, client: SessionClient): Promise<SessionGrant> {
  const { token, hash } = newRefreshToken();
  const sessionId = await insertSession(deps.db, { userId: user.id, tokenHash: hash, now: deps.clock.now(), client });
  return { sessionId, refreshToken: token };
}

/**
 * Trades a refresh token for the session's next one (the caller then issues an access token in the session). A
 * token used before, past the reuse interval, ends its session: whoever holds the newest token is signed out too,
 * which is the point — one of the two holders should not have it. Unknown tokens and sessions idle past the
 * timeout answer 401 alike.
 */
export async function refreshSession(
  deps: SessionDeps,
  presented: string,
  client: SessionClient,
): Promise<SessionGrant & { user: AuthenticatedUser }> {
  const now = deps.clock.now();
  const next = newRefreshToken();
  const outcome = await deps.db.transaction(async (tx) => {
    const session = await lockSessionOfRefreshToken(tx, hashOf(presented));
    if (!session) return { refreshed: false as const };
    const rotatedAt = await refreshTokenRotatedAt(tx, hashOf(presented));
    if (rotatedAt === undefined) return { refreshed: false as const };
    const idle = session.refreshedAt.getTime() <= now.getTime() - deps.idleTimeoutMs;
    const reused = rotatedAt !== null && rotatedAt.getTime() <= now.getTime() - REFRESH_REUSE_INTERVAL_MS;
    if (idle || reused) {
      // Committed, not thrown: a rollback would keep the session the reuse has just shown to be stolen.
      await deleteSession(tx, { sessionId: session.id, userId: session.userId });
      return { refreshed: false as const, ended: session.id };
    }
    await addRefreshToken(tx, { sessionId: session.id, tokenHash: next.hash, now, client, rotateCurrent: rotatedAt === null });
    return { refreshed: true as const, session };
  });
  if (!outcome.refreshed) {
    if (outcome.ended) deps.liveSessions.forget([outcome.ended]);
    throw errors.invalidRefreshToken();
  }
  const { session } = outcome;
  return { sessionId: session.id, refreshToken: next.token, user: { id: session.userId, email: session.email, sessionId: session.id } };
}

/** Ends one of the user's sessions; false when the user has no such session. */
export async function endSession(deps: SessionDeps, input: { userId: string; sessionId: string }): Promise<boolean> {
  const ended = await deleteSession(deps.db, input);
  deps.liveSessions.forget([input.sessionId]);
  return ended;
}

/** Ends the session a refresh token belongs to, whether it is the current token or a used one; unknown: nothing. */
export async function endSessionOfRefreshToken(deps: SessionDeps, refreshToken: string): Promise<void> {
  const session = await findSessionOfRefreshToken(deps.db, hashOf(refreshToken));
  if (session) await endSession(deps, { userId: session.userId, sessionId: session.id });
}

/** Ends every session of the user (sign out everywhere), or every one but `except` (sign out the others). */
export async function endSessionsOfUser(deps: SessionDeps, input: { userId: string; except?: string }): Promise<void> {
  deps.liveSessions.forget(await deleteSessionsOfUser(deps.db, input));
}

/** The user's sessions that are not over, most recently used first. */
export function listLiveSessions(deps: SessionDeps, userId: string): Promise<SessionRow[]> {
  return listSessions(deps.db, { userId, activeSince: new Date(deps.clock.now().getTime() - deps.idleTimeoutMs) });
}
