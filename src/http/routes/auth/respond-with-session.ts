import type { FastifyReply, FastifyRequest } from 'fastify';
import { issuerOf, type AuthenticatedUser, type TokenService } from '../../../auth/tokens.js';
import type { SessionClient } from '../../../db/queries/auth-sessions.js';
import type { Deps } from '../../../deps.js';
import { startSession, type SessionDeps, type SessionGrant } from '../../../domain/sessions.js';
import { setSessionCookies } from '../../session.js';

/**
 * A hook for the routes of our own accounts (signup, login, refresh, sessions), run before the body is validated:
 * with Supabase Auth as the identity provider they are closed, and the caller is told so whatever they sent.
 */
export function ownAccountsOnly(tokens: TokenService) {
  return async (): Promise<void> => {
    issuerOf(tokens);
  };
}

/** Our own accounts' sessions as configured. */
export function sessionDepsOf(deps: Deps): SessionDeps {
  return { db: deps.db, clock: deps.clock, liveSessions: deps.liveSessions, idleTimeoutMs: deps.config.SESSION_IDLE_TIMEOUT_SECONDS * 1000 };
}

const MAX_USER_AGENT = 512;

/** What a session records of the client using it. */
export function clientOf(request: FastifyRequest): SessionClient {
  return { userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null, ip: request.ip };
}

/**
 * Issues an access token in the session, sets both cookies and returns the body signup, login and refresh answer
 * with: Supabase Auth's session shape (`access_token`, `token_type`, `expires_in`, `refresh_token`) and the user.
 */
export async function replyWithSession(deps: Pick<Deps, 'tokens' | 'config'>, reply: FastifyReply, user: AuthenticatedUser, grant: SessionGrant) {
  const { token, expiresIn } = await issuerOf(deps.tokens)(user, grant.sessionId);
  setSessionCookies(reply, {
    accessToken: token,
    accessMaxAge: expiresIn,
    refreshToken: grant.refreshToken,
    refreshMaxAge: deps.config.SESSION_IDLE_TIMEOUT_SECONDS,
    secure: deps.config.NODE_ENV === 'production',
  });
  return {
    user: { id: user.id, email: user.email },
    access_token: token,
    token_type: 'bearer' as const,
    expires_in: expiresIn,
    refresh_token: grant.refreshToken,
  };
}

/** Starts a session for a user who has just signed up or in, and answers with it. */
export async function replyWithNewSession(deps: Deps, request: FastifyRequest, reply: FastifyReply, user: AuthenticatedUser) {
  return replyWithSession(deps, reply, user, await startSession(sessionDepsOf(deps), user, clientOf(request)));
}
