import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { endSession, endSessionOfRefreshToken, endSessionsOfUser } from '../../../domain/sessions.js';
import { errors } from '../../../errors.js';
import { clearSessionCookies, currentUser, readRefreshToken, readUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { sessionDepsOf } from './respond-with-session.js';

const logoutQuery = z.object({
  /** Supabase Auth's scopes: this session (the default), every session of the user, or every other one. */
  scope: z.enum(['local', 'global', 'others']).default('local'),
});

/**
 * `POST /api/auth/logout`: ends the current session (its access tokens stop working at once on this instance, within
 * seconds on the others) and clears the cookies. Always 204 for `local`, signed in or not. `global` and `others`
 * need a live session; with Supabase Auth they are Supabase's to do (403), and `local` only clears our cookie.
 */
export function registerLogout(app: App, deps: Deps, session: SessionOptions): void {
  const secure = deps.config.NODE_ENV === 'production';

  /** The session the request is signed in with: its access token's, else (that one expired) its refresh token's. */
  async function endCurrentSession(request: FastifyRequest): Promise<void> {
    const user = await readUser(request, session);
    if (user?.sessionId) {
      await endSession(sessionDepsOf(deps), { userId: user.id, sessionId: user.sessionId });
      return;
    }
    const refreshToken = readRefreshToken(request, session);
    if (refreshToken) await endSessionOfRefreshToken(sessionDepsOf(deps), refreshToken);
  }

  app.post('/api/auth/logout', {
    schema: {
      tags: ['auth'],
      summary: 'End this session (scope=local, the default), every session (global) or every other one (others)',
      querystring: logoutQuery,
      response: { 204: z.null(), 401: errorBody, 403: errorBody },
    },
    handler: async (request, reply) => {
      const { scope } = request.query;
      if (scope === 'local') {
        if (deps.tokens.issue) await endCurrentSession(request);
        clearSessionCookies(reply, secure);
        return reply.status(204).send(null);
      }
      if (!deps.tokens.issue) throw errors.accountsManagedBySupabase();
      await requireUser(session)(request);
      const user = currentUser(request);
      await endSessionsOfUser(sessionDepsOf(deps), { userId: user.id, ...(scope === 'others' && user.sessionId && { except: user.sessionId }) });
      if (scope === 'global') clearSessionCookies(reply, secure);
      return reply.status(204).send(null);
    },
  });
}
