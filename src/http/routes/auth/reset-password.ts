import type { Deps } from '../../../deps.js';
import { resetPassword } from '../../../domain/passwords.js';
import { errorBody, type App } from '../../types.js';
import { ownAccountsOnly, replyWithNewSession, sessionDepsOf } from './respond-with-session.js';
import { resetPasswordBody, sessionBody } from './schemas.js';

/**
 * `POST /api/auth/reset-password`: sets a new password with a reset link's token, ends every session of the user,
 * and signs this client in with a new one (login's answer): the person who just proved they own the address.
 */
export function registerResetPassword(app: App, deps: Deps): void {
  app.post('/api/auth/reset-password', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Set a new password with the token of the mailed reset link; ends every session and starts a new one',
      body: resetPasswordBody,
      response: { 200: sessionBody, 400: errorBody, 403: errorBody, 429: errorBody, 503: errorBody },
    },
    handler: async (request, reply) => {
      const user = await resetPassword({ ...deps, sessions: sessionDepsOf(deps) }, request.body);
      return reply.send(await replyWithNewSession(deps, request, reply, user));
    },
  });
}
