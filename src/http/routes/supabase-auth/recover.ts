import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { preparePasswordResetMail } from '../../../domain/passwords.js';
import type { App } from '../../types.js';
import { sendInBackground } from '../auth/mail-links.js';
import { asEmailSend, authErrorBody, clientExtras, redirectQuery, refusePkce } from './common.js';
import { verifyLinkStyle } from './links.js';

const recoverBody = z.object({ email: z.email().max(255), ...clientExtras });

/**
 * `POST /auth/v1/recover`: mails a recovery link and code (domain/passwords.ts, as /api/auth/recover) if the address
 * has an account; `{}` either way, without waiting for the mail server. The link signs the user in through
 * /auth/v1/verify; the client then sets a new password with PUT /auth/v1/user.
 */
export function registerAuthRecover(app: App, deps: Deps): void {
  app.post('/recover', {
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: mail a password recovery link and code, if the address has an account',
      querystring: redirectQuery,
      body: recoverBody,
      response: { 200: z.object({}), 400: authErrorBody, 429: authErrorBody },
    },
    handler: async (request) => {
      refusePkce(request.body);
      const style = verifyLinkStyle(deps.config, request, request.query.redirect_to);
      const message = await asEmailSend(() => preparePasswordResetMail(deps, { email: request.body.email, address: request.ip, origin: '', style }));
      if (message) sendInBackground(deps.mailer, message, request.log, 'password recovery');
      return {};
    },
  });
}
