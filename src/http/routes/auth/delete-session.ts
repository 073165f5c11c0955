import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { endSession } from '../../../domain/sessions.js';
import { errors } from '../../../errors.js';
import { clearSessionCookies, currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { ownAccountsOnly, sessionDepsOf } from './respond-with-session.js';

/**
 * `DELETE /api/auth/sessions/:id`: ends one of the signed-in user's sessions (a lost phone's, say); 404 for any id
 * that is not theirs. Ending the current one is a logout, cookies cleared.
 */
export function registerDeleteSession(app: App, deps: Deps, session: SessionOptions): void {
  app.delete('/api/auth/sessions/:id', {
    preValidation: ownAccountsOnly(deps.tokens),
    preHandler: requireUser(session),
    schema: {
      tags: ['auth'],
      summary: 'End one of the signed-in user’s sessions',
      params: z.object({ id: z.uuid() }),
      response: { 204: z.null(), 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
    },
    handler: async (request, reply) => {
      const user = currentUser(request);
      const { id } = request.params;
      if (!(await endSession(sessionDepsOf(deps), { userId: user.id, sessionId: id }))) throw errors.sessionNotFound();
      if (id === user.sessionId) clearSessionCookies(reply, deps.config.NODE_ENV === 'production');
      return reply.status(204).send(null);
    },
  });
}
