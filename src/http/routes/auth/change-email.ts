import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { requestEmailChange } from '../../../domain/email-change.js';
import { pageLink } from '../../../domain/email-links.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { authLimitDepsOf } from './auth-limit-deps.js';
import { linkOriginOf, sendInBackground } from './mail-links.js';
import { ownAccountsOnly } from './respond-with-session.js';
import { changeEmailBody } from './schemas.js';

/**
 * `POST /api/auth/email`: the signed-in user asks to move their account to `new_email`, giving their password. A
 * link goes to the new address (the web app's /change-email page, 24 hours, once) and a notice to the old one, both
 * without waiting for the mail server; the address changes when the link is opened.
 */
export function registerChangeEmail(app: App, deps: Deps, session: SessionOptions): void {
  app.post('/api/auth/email', {
    preValidation: ownAccountsOnly(deps.tokens),
    preHandler: requireUser(session),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Change the signed-in user’s email address (the password required): mails a link to confirm at the new address',
      body: changeEmailBody,
      response: { 200: z.object({}), 400: errorBody, 401: errorBody, 403: errorBody, 409: errorBody, 429: errorBody, 503: errorBody },
    },
    handler: async (request) => {
      const origin = linkOriginOf(deps.config, request);
      if (!origin) throw errors.mailUnavailable();
      const { mails } = await requestEmailChange(
        { ...authLimitDepsOf(deps), passwords: deps.passwords },
        {
          userId: currentUser(request).id,
          password: request.body.password,
          newEmail: request.body.new_email,
          address: request.ip,
          link: (token) => pageLink(origin, 'email_change', token),
        },
      );
      for (const mail of mails) sendInBackground(deps.mailer, mail, request.log, 'email change');
      return {};
    },
  });
}
