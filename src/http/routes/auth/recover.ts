import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { preparePasswordResetMail } from '../../../domain/passwords.js';
import { errors } from '../../../errors.js';
import { errorBody, type App } from '../../types.js';
import { linkOriginOf, sendInBackground } from './mail-links.js';
import { ownAccountsOnly } from './respond-with-session.js';
import { recoverBody } from './schemas.js';

/**
 * `POST /api/auth/recover`: mails a password reset link to the address if it has an account. The answer is the same
 * (200, `{}`, as Supabase Auth's /recover) either way, and comes without waiting for the mail server.
 */
export function registerRecover(app: App, deps: Deps): void {
  app.post('/api/auth/recover', {
    preValidation: ownAccountsOnly(deps.tokens),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Mail a password reset link (works once, for an hour) to the address, if it has an account',
      body: recoverBody,
      response: { 200: z.object({}), 400: errorBody, 403: errorBody, 429: errorBody, 503: errorBody },
    },
    handler: async (request) => {
      const origin = linkOriginOf(deps.config, request);
      if (!origin) throw errors.mailUnavailable();
      const message = await preparePasswordResetMail(deps, { email: request.body.email, address: request.ip, origin });
      if (message) sendInBackground(deps.mailer, message, request.log, 'password reset');
      return {};
    },
  });
}
