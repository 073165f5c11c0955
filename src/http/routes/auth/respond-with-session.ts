import type { FastifyReply } from 'fastify';
import type { AuthenticatedUser } from '../../../auth/tokens.js';
import type { Deps } from '../../../deps.js';
import { setSessionCookie } from '../../session.js';

/** Issues a token for the user, sets the session cookie and returns the body signup and login answer with. */
export async function startSession(deps: Pick<Deps, 'tokens' | 'config'>, reply: FastifyReply, user: AuthenticatedUser) {
  const { token, expiresIn } = await deps.tokens.issue(user);
  setSessionCookie(reply, token, expiresIn, deps.config.NODE_ENV === 'production');
  return { user, access_token: token, token_type: 'bearer' as const, expires_in: expiresIn };
}
