import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { changePassword } from '../../../domain/passwords.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { authLimitDepsOf } from './auth-limit-deps.js';
import { ownAccountsOnly, sessionDepsOf } from './respond-with-session.js';
import { changePasswordBody } from './schemas.js';

/** `POST /api/auth/change-password`: the current password and a new one; the user's other sessions end. */
export function registerChangePassword(app: App, deps: Deps, session: SessionOptions): void {
  app.post('/api/auth/change-password', {
    preValidation: ownAccountsOnly(deps.tokens),
    preHandler: requireUser(session),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Change the signed-in user’s password (the current one required); signs out their other sessions',
      body: changePasswordBody,
      response: { 204: z.null(), 400: errorBody, 401: errorBody, 403: errorBody, 429: errorBody, 503: errorBody },
    },
    handler: async (request, reply) => {
      await changePassword(
        { ...authLimitDepsOf(deps), passwords: deps.passwords, sessions: sessionDepsOf(deps) },
        { user: currentUser(request), currentPassword: request.body.current_password, newPassword: request.body.new_password },
      );
      return reply.status(204).send(null);
    },
  });
}
