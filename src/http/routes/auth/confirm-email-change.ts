import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { confirmEmailChange } from '../../../domain/email-change.js';
import { errorBody, type App } from '../../types.js';
import { ownAccountsOnly } from './respond-with-session.js';
import { emailTokenBody, userBody } from './schemas.js';

/**
 * `POST /api/auth/email/confirm`: the token of the link mailed to a new address (the web app's /change-email page
 * sends it) moves the account there. Needs no session: the link may be opened on another device. Sessions go on;
 * a signed-in client refreshes to have the new address in its access token.
 */
export function registerConfirmEmailChange(app: App, deps: Deps): void {
  app.post('/api/auth/email/confirm', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Confirm a change of email address with the token of the link mailed to the new address (works once, for 24 hours)',
      body: emailTokenBody,
      response: { 200: z.object({ user: userBody }), 400: errorBody, 403: errorBody, 409: errorBody, 429: errorBody },
    },
    handler: async (request) => {
      const user = await confirmEmailChange(deps, request.body.token);
      return { user: { id: user.id, email: user.email } };
    },
  });
}
