import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { confirmEmail } from '../../../domain/email-confirmation.js';
import { errorBody, type App } from '../../types.js';
import { ownAccountsOnly } from './respond-with-session.js';
import { emailTokenBody } from './schemas.js';

/** `POST /api/auth/confirm`: the token of a confirmation link (the web app's /confirm page sends it) confirms the address. */
export function registerConfirmEmail(app: App, deps: Deps): void {
  app.post('/api/auth/confirm', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Confirm the email address with the token of the mailed link (works once, for 24 hours)',
      body: emailTokenBody,
      response: { 204: z.null(), 400: errorBody, 403: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      await confirmEmail(deps, request.body.token);
      return reply.status(204).send(null);
    },
  });
}
