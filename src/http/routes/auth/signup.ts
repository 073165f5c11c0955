import type { Deps } from '../../../deps.js';
import { signUp } from '../../../domain/accounts.js';
import { errorBody, type App } from '../../types.js';
import { ownAccountsOnly, startSession } from './respond-with-session.js';
import { credentialsBody, sessionBody } from './schemas.js';

export function registerSignup(app: App, deps: Deps): void {
  app.post('/api/auth/signup', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Create an account; starts a session (cookie) and returns an access token',
      body: credentialsBody,
      response: { 201: sessionBody, 400: errorBody, 403: errorBody, 409: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      const user = await signUp({ db: deps.db, signupCredits: deps.config.SIGNUP_CREDITS }, request.body);
      return reply.status(201).send(await startSession(deps, reply, user));
    },
  });
}
