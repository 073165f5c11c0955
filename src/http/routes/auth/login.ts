import type { Deps } from '../../../deps.js';
import { logIn } from '../../../domain/accounts.js';
import { errorBody, type App } from '../../types.js';
import { authLimitDepsOf } from './auth-limit-deps.js';
import { ownAccountsOnly, replyWithNewSession } from './respond-with-session.js';
import { loginBody, sessionBody } from './schemas.js';

export function registerLogin(app: App, deps: Deps): void {
  app.post('/api/auth/login', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Sign in; starts a session (cookies) and returns an access token and a refresh token',
      body: loginBody,
      response: { 200: sessionBody, 400: errorBody, 401: errorBody, 403: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      const user = await logIn({ ...authLimitDepsOf(deps), passwords: deps.passwords }, request.body);
      return reply.send(await replyWithNewSession(deps, request, reply, user));
    },
  });
}
