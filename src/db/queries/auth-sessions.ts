import type { Queryable } from '../db.js';
import { iso } from './values.js';

/** Where a session was last used from: the client's User-Agent (cut short) and address. */
export interface SessionClient {
  userAgent: string | null;
  ip: string;
}

/** A session as its owner sees it listed. */
export interface SessionRow {
  id: string;
  createdAt: string;
  refreshedAt: string;
  userAgent: string | null;
  ip: string | null;
}

/** A session found through one of its refresh tokens, locked for the rest of the transaction. */
export interface LockedSession {
  id: string;
  userId: string;
  email: string;
  refreshedAt: Date;
}

/** Starts a session with its first refresh token, in one statement. Resolves to the session's id. */
export async function insertSession(
  db: Queryable,
  input: { userId: string; tokenHash: Buffer; now: Date; client: SessionClient },
): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `with session as (
       insert into auth_sessions (id, user_id, created_at, refreshed_at, user_agent, ip)
       values (gen_random_uuid(), $1, $3::timestamptz, $3::timestamptz, $4, $5)
       returning id)
     insert into auth_refresh_tokens (token_hash, session_id, created_at)
     select $2, id, $3::timestamptz from session
     returning session_id as id`,
    [input.userId, input.tokenHash, input.now.toISOString(), input.client.userAgent, input.client.ip],
  );
  return rows[0]!.id;
}

/**
 * The session a refresh token belongs to, locked (FOR UPDATE) so that refreshes of one session take turns. Read
 * the token itself after this, in a statement of its own: only then does it see what a refresh that held the lock
 * before changed.
 */
export async function lockSessionOfRefreshToken(db: Queryable, tokenHash: Buffer): Promise<LockedSession | undefined> {
  const { rows } = await db.query<{ id: string; user_id: string; email: string; refreshed_at: Date | string }>(
    `select s.id, s.user_id, coalesce(u.email, '') as email, s.refreshed_at
       from auth_sessions s join auth.users u on u.id = s.user_id
      where s.id = (select session_id from auth_refresh_tokens where token_hash = $1)
        for update of s`,
    [tokenHash],
  );
  const row = rows[0];
  return row && { id: row.id, userId: row.user_id, email: row.email, refreshedAt: new Date(row.refreshed_at) };
}

/** When a refresh token was rotated (used): null while it is the session's current one; undefined when unknown. */
export async function refreshTokenRotatedAt(db: Queryable, tokenHash: Buffer): Promise<Date | null | undefined> {
  const { rows } = await db.query<{ rotated_at: Date | string | null }>(
    'select rotated_at from auth_refresh_tokens where token_hash = $1',
    [tokenHash],
  );
  const row = rows[0];
  return row && (row.rotated_at === null ? null : new Date(row.rotated_at));
}

/**
 * Adds the session's next refresh token and records the refresh. `rotateCurrent` marks the session's current
 * tokens used (an ordinary refresh); without it they stay usable (a concurrent refresh within the reuse interval,
 * whose sibling may be the one its client keeps).
 */
export async function addRefreshToken(
  db: Queryable,
  input: { sessionId: string; tokenHash: Buffer; now: Date; client: SessionClient; rotateCurrent: boolean },
): Promise<void> {
  await db.query(
    `with rotated as (
       update auth_refresh_tokens set rotated_at = $3::timestamptz
        where session_id = $1 and rotated_at is null and $6::boolean),
     added as (
       insert into auth_refresh_tokens (token_hash, session_id, created_at) values ($2, $1, $3::timestamptz))
     update auth_sessions set refreshed_at = $3::timestamptz, user_agent = $4, ip = $5 where id = $1`,
    [input.sessionId, input.tokenHash, input.now.toISOString(), input.client.userAgent, input.client.ip, input.rotateCurrent],
  );
}

/** The session of a refresh token, current or used; undefined when unknown. */
export async function findSessionOfRefreshToken(db: Queryable, tokenHash: Buffer): Promise<{ id: string; userId: string } | undefined> {
  const { rows } = await db.query<{ id: string; user_id: string }>(
    `select s.id, s.user_id from auth_refresh_tokens t join auth_sessions s on s.id = t.session_id where t.token_hash = $1`,
    [tokenHash],
  );
  const row = rows[0];
  return row && { id: row.id, userId: row.user_id };
}

/** Whether the user's session is there (not ended). */
export async function sessionExists(db: Queryable, input: { sessionId: string; userId: string }): Promise<boolean> {
  const { rows } = await db.query('select 1 from auth_sessions where id = $1 and user_id = $2', [input.sessionId, input.userId]);
  return rows.length > 0;
}

/** The user's sessions refreshed since `activeSince`, most recently used first. */
export async function listSessions(db: Queryable, input: { userId: string; activeSince: Date }): Promise<SessionRow[]> {
  const { rows } = await db.query<{ id: string; created_at: Date | string; refreshed_at: Date | string; user_agent: string | null; ip: string | null }>(
    `select id, created_at, refreshed_at, user_agent, ip from auth_sessions
      where user_id = $1 and refreshed_at > $2::timestamptz
      order by refreshed_at desc, id`,
    [input.userId, input.activeSince.toISOString()],
  );
  return rows.map((r) => ({ id: r.id, createdAt: iso(r.created_at), refreshedAt: iso(r.refreshed_at), userAgent: r.user_agent, ip: r.ip }));
}

/** Ends one of the user's sessions, its refresh tokens with it. False when the user has no such session. */
export async function deleteSession(db: Queryable, input: { sessionId: string; userId: string }): Promise<boolean> {
  const { rowCount } = await db.query('delete from auth_sessions where id = $1 and user_id = $2', [input.sessionId, input.userId]);
  return rowCount > 0;
}

/** Ends every session of the user but `except` (when given). Resolves to the ids ended. */
export async function deleteSessionsOfUser(db: Queryable, input: { userId: string; except?: string }): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'delete from auth_sessions where user_id = $1 and id is distinct from $2::uuid returning id',
    [input.userId, input.except ?? null],
  );
  return rows.map((r) => r.id);
}

/** Deletes sessions not refreshed since `before`: they are over. */
export async function deleteIdleSessions(db: Queryable, before: Date): Promise<void> {
  await db.query('delete from auth_sessions where refreshed_at < $1::timestamptz', [before.toISOString()]);
}
