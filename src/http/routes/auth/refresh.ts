import type { Deps } from '../../../deps.js';
import { refreshSession } from '../../../domain/sessions.js';
import { errors } from '../../../errors.js';
import { readRefreshToken, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { clientOf, ownAccountsOnly, replyWithSession, sessionDepsOf } from './respond-with-session.js';
import { refreshBody, sessionBody } from './schemas.js';

/**
 * `POST /api/auth/refresh`: trades the refresh token (JSON body, else the `sv_refresh` cookie) for a new access
 * token and the session's next refresh token, in login's body and cookies. Each refresh token works once: a used
 * one presented again later ends its session (domain/sessions.ts).
 */
export function registerRefresh(app: App, deps: Deps, session: SessionOptions): void {
  app.post('/api/auth/refresh', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.REFRESH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Trade a refresh token (body or sv_refresh cookie) for a new access token and the next refresh token',
      body: refreshBody.nullish(),
      response: { 200: sessionBody, 400: errorBody, 401: errorBody, 403: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      const presented = readRefreshToken(request, session, request.body?.refresh_token);
      if (!presented) throw errors.invalidRefreshToken();
      const refreshed = await refreshSession(sessionDepsOf(deps), presented, clientOf(request));
      return reply.send(await replyWithSession(deps, reply, refreshed.user, refreshed));
    },
  });
}
