import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { listLiveSessions } from '../../../domain/sessions.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { ownAccountsOnly, sessionDepsOf } from './respond-with-session.js';
import { sessionListBody } from './schemas.js';

/** `GET /api/auth/sessions`: the signed-in user's sessions that are not over, the current one marked. */
export function registerListSessions(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/auth/sessions', {
    preValidation: ownAccountsOnly(deps.tokens),
    preHandler: requireUser(session),
    schema: {
      tags: ['auth'],
      summary: 'The signed-in user’s sessions (sign-ins): when made, last refreshed, from where; the current one marked',
      response: { 200: sessionListBody, 401: errorBody, 403: errorBody },
    },
    handler: async (request): Promise<z.infer<typeof sessionListBody>> => {
      const user = currentUser(request);
      const sessions = await listLiveSessions(sessionDepsOf(deps), user.id);
      return {
        sessions: sessions.map((s) => ({
          id: s.id,
          created_at: s.createdAt,
          refreshed_at: s.refreshedAt,
          user_agent: s.userAgent,
          ip: s.ip,
          current: s.id === user.sessionId,
        })),
      };
    },
  });
}
