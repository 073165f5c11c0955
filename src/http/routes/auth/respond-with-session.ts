import type { FastifyReply } from 'fastify';
import { issuerOf, type AuthenticatedUser, type TokenService } from '../../../auth/tokens.js';
import type { Deps } from '../../../deps.js';
import { setSessionCookie } from '../../session.js';

/**
 * A hook for signup and login, run before the body is validated: with Supabase Auth as the identity provider our
 * own accounts are closed, and the caller is told so whatever they sent.
 */
export function ownAccountsOnly(tokens: TokenService) {
  return async (): Promise<void> => {
    issuerOf(tokens);
  };
}

/** Issues a token for the user, sets the session cookie and returns the body signup and login answer with. */
export async function startSession(deps: Pick<Deps, 'tokens' | 'config'>, reply: FastifyReply, user: AuthenticatedUser) {
  const { token, expiresIn } = await issuerOf(deps.tokens)(user);
  setSessionCookie(reply, token, expiresIn, deps.config.NODE_ENV === 'production');
  return { user, access_token: token, token_type: 'bearer' as const, expires_in: expiresIn };
}
