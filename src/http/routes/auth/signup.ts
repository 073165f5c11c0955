import type { Deps } from '../../../deps.js';
import { signUp } from '../../../domain/accounts.js';
import { limitSignups } from '../../../domain/auth-limits.js';
import { prepareConfirmationMail } from '../../../domain/email-confirmation.js';
import { errorBody, type App } from '../../types.js';
import { authLimitDepsOf } from './auth-limit-deps.js';
import { linkOriginOf, sendInBackground } from './mail-links.js';
import { ownAccountsOnly, replyWithNewSession } from './respond-with-session.js';
import { sessionBody, signupBody } from './schemas.js';

/** `POST /api/auth/signup`; mails a confirmation link too, without waiting for the mail server (a failure is logged). */
export function registerSignup(app: App, deps: Deps): void {
  app.post('/api/auth/signup', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Create an account; starts a session (cookies) and returns an access token and a refresh token',
      body: signupBody,
      response: { 201: sessionBody, 400: errorBody, 403: errorBody, 409: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      // Counted per address before the password is hashed: each account comes with free credits.
      await limitSignups(authLimitDepsOf(deps), request.ip);
      const user = await signUp({ db: deps.db, signupCredits: deps.config.SIGNUP_CREDITS, passwords: deps.passwords }, request.body);
      const origin = linkOriginOf(deps.config, request);
      if (origin) sendInBackground(deps.mailer, await prepareConfirmationMail(deps, { user, origin }), request.log, 'confirmation');
      else request.log.warn('confirmation mail not sent: PUBLIC_URL is unset');
      return reply.status(201).send(await replyWithNewSession(deps, request, reply, user));
    },
  });
}
