import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { limitLinkMails } from '../../../domain/auth-limits.js';
import { isEmailConfirmed, prepareConfirmationMail } from '../../../domain/email-confirmation.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { linkOriginOf, sendNow } from './mail-links.js';
import { ownAccountsOnly } from './respond-with-session.js';

/**
 * `POST /api/auth/resend-confirmation`: mails the signed-in user a new confirmation link (the older ones stop
 * working) and waits for the mail server, so a failure is told (503). 204 without a mail when already confirmed.
 */
export function registerResendConfirmation(app: App, deps: Deps, session: SessionOptions): void {
  app.post('/api/auth/resend-confirmation', {
    preValidation: ownAccountsOnly(deps.tokens),
    preHandler: requireUser(session),
    schema: {
      tags: ['auth'],
      summary: 'Mail the signed-in user a new email confirmation link',
      response: { 204: z.null(), 401: errorBody, 403: errorBody, 429: errorBody, 503: errorBody },
    },
    handler: async (request, reply) => {
      const user = currentUser(request);
      if (await isEmailConfirmed(deps.db, user.id)) return reply.status(204).send(null);
      const origin = linkOriginOf(deps.config, request);
      if (!origin) throw errors.mailUnavailable();
      await limitLinkMails(deps, { kind: 'confirm', address: request.ip, email: user.email });
      await sendNow(deps.mailer, await prepareConfirmationMail(deps, { user, origin }));
      return reply.status(204).send(null);
    },
  });
}
