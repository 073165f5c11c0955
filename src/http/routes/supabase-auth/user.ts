import { z } from 'zod';
import { findAuthUser, mergeUserMetadata } from '../../../db/queries/supabase-users.js';
import type { Deps } from '../../../deps.js';
import { prepareEmailChange } from '../../../domain/email-change.js';
import { setPassword } from '../../../domain/passwords.js';
import { currentUser, type SessionOptions } from '../../session.js';
import type { App } from '../../types.js';
import { sendInBackground } from '../auth/mail-links.js';
import { sessionDepsOf } from '../auth/respond-with-session.js';
import { requireAuthUser } from './auth-user.js';
import { asEmailSend, authErrorBody, checkNewPassword, redirectQuery, userMetadata } from './common.js';
import { authErrors } from './errors.js';
import { verifyLinkStyle } from './links.js';
import { authUser, toAuthUser } from './shapes.js';

const updateBody = z.object({
  email: z.email().max(255).optional(),
  phone: z.string().optional(),
  password: z.string().max(1024).optional(),
  data: userMetadata.nullish(),
  nonce: z.string().optional(),
});

async function accountOf(deps: Deps, userId: string) {
  const account = await findAuthUser(deps.db, userId);
  if (!account) throw authErrors.sessionNotFound();
  return toAuthUser(account);
}

/**
 * `GET /auth/v1/user`: the signed-in user. `PUT /auth/v1/user`: sets a new password (the user's other sessions end;
 * this one goes on), merges `data` into the user metadata, or starts a change of address (domain/email-change.ts:
 * a link and code to the new address, a notice to the old; confirmed through /auth/v1/verify type=email_change).
 */
export function registerAuthUser(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/user', {
    preHandler: requireAuthUser(session),
    schema: { tags: ['auth/v1'], summary: 'Supabase Auth: the signed-in user', response: { 200: authUser, 401: authErrorBody, 403: authErrorBody } },
    handler: async (request) => accountOf(deps, currentUser(request).id),
  });

  app.put('/user', {
    preHandler: requireAuthUser(session),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: update the signed-in user (password, metadata, email address)',
      querystring: redirectQuery,
      body: updateBody,
      response: { 200: authUser, 400: authErrorBody, 401: authErrorBody, 403: authErrorBody, 422: authErrorBody, 429: authErrorBody },
    },
    handler: async (request) => {
      const user = currentUser(request);
      const { email, phone, password, data } = request.body;
      if (phone) throw authErrors.phoneDisabled('Phone logins are disabled', 422);
      if (password !== undefined) {
        checkNewPassword(password);
        await setPassword({ db: deps.db, passwords: deps.passwords, sessions: sessionDepsOf(deps) }, { user, password });
      }
      if (data) await mergeUserMetadata(deps.db, { userId: user.id, data });
      if (email !== undefined) {
        const style = verifyLinkStyle(deps.config, request, request.query.redirect_to);
        const change = await asEmailSend(() =>
          prepareEmailChange(deps, { user, newEmail: email, address: request.ip, link: (token) => style.link(token, 'email_change') }),
        );
        for (const mail of change.mails) sendInBackground(deps.mailer, mail, request.log, 'email change');
      }
      return accountOf(deps, user.id);
    },
  });
}
