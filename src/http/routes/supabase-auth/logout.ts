import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { endSession, endSessionsOfUser } from '../../../domain/sessions.js';
import { currentUser, type SessionOptions } from '../../session.js';
import type { App } from '../../types.js';
import { sessionDepsOf } from '../auth/respond-with-session.js';
import { requireAuthUser } from './auth-user.js';
import { authErrorBody } from './common.js';

/** Supabase Auth's default is `global`, where our /api/auth/logout's is `local`. */
const logoutQuery = z.object({ scope: z.enum(['global', 'local', 'others']).default('global') });

/**
 * `POST /auth/v1/logout?scope=`: ends the token's session (local), every session of the user (global) or every other
 * one (others). Ended sessions' access tokens stop working at once on this instance, /api routes included.
 */
export function registerAuthLogout(app: App, deps: Deps, session: SessionOptions): void {
  app.post('/logout', {
    preHandler: requireAuthUser(session),
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: sign out this session, every session (global, the default) or every other one',
      querystring: logoutQuery,
      response: { 204: z.null(), 400: authErrorBody, 401: authErrorBody, 403: authErrorBody },
    },
    handler: async (request, reply) => {
      const user = currentUser(request);
      const { scope } = request.query;
      if (scope === 'local' && user.sessionId) await endSession(sessionDepsOf(deps), { userId: user.id, sessionId: user.sessionId });
      else await endSessionsOfUser(sessionDepsOf(deps), { userId: user.id, ...(scope === 'others' && user.sessionId && { except: user.sessionId }) });
      return reply.status(204).send(null);
    },
  });
}
