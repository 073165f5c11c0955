import type { FastifyRequest } from 'fastify';
import type { SessionOptions } from '../../session.js';
import { authErrors } from './errors.js';

/**
 * A preHandler for the routes that act on the signed-in user (`Authorization: Bearer <access token>`, no cookies):
 * as Supabase Auth, 401 without a token, 403 bad_jwt for one that does not verify, 403 session_not_found once its
 * session has ended (or the account is gone).
 */
export function requireAuthUser(session: SessionOptions) {
  return async (request: FastifyRequest): Promise<void> => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match) throw authErrors.noAuthorization();
    const user = await session.tokens.verify(match[1]!);
    if (!user) throw authErrors.badJwt();
    if (!(await session.admit(user))) throw authErrors.sessionNotFound();
    request.user = user;
  };
}
