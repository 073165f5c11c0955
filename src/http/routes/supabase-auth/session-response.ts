import type { FastifyRequest } from 'fastify';
import { issuerOf, type AmrEntry } from '../../../auth/tokens.js';
import { findAuthUser, recordSignIn } from '../../../db/queries/supabase-users.js';
import type { Deps } from '../../../deps.js';
import { startSession, type SessionGrant } from '../../../domain/sessions.js';
import { errors } from '../../../errors.js';
import { clientOf, sessionDepsOf } from '../auth/respond-with-session.js';
import { toAuthUser, type AuthSession } from './shapes.js';

/** Issues an access token in the session with Supabase's claims and answers with Supabase Auth's session body. */
export async function sessionResponse(deps: Deps, userId: string, grant: SessionGrant, amr: AmrEntry[]): Promise<AuthSession> {
  const account = await findAuthUser(deps.db, userId);
  if (!account) throw errors.invalidRefreshToken();
  const { token, expiresIn, expiresAt } = await issuerOf(deps.tokens)(
    { id: account.id, email: account.email },
    grant.sessionId,
    { amr, userMetadata: account.userMetadata },
  );
  return {
    access_token: token,
    token_type: 'bearer',
    expires_in: expiresIn,
    expires_at: expiresAt,
    refresh_token: grant.refreshToken,
    user: toAuthUser(account),
  };
}

/** Starts a session for a user who has just proved who they are (`method`: password, otp), recorded as a sign-in. */
export async function signInResponse(
  deps: Deps,
  request: FastifyRequest,
  user: { id: string; email: string },
  method: 'password' | 'otp',
): Promise<AuthSession> {
  await recordSignIn(deps.db, user.id);
  const grant = await startSession(sessionDepsOf(deps), user, clientOf(request));
  const amr = [{ method, timestamp: Math.floor(deps.clock.now().getTime() / 1000) }];
  return sessionResponse(deps, user.id, grant, amr);
}
