import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { normaliseEmail, signUp } from '../../../domain/accounts.js';
import { limitSignups } from '../../../domain/auth-limits.js';
import { prepareConfirmationMail } from '../../../domain/email-confirmation.js';
import { AppError } from '../../../errors.js';
import { findAuthUser, mergeUserMetadata } from '../../../db/queries/supabase-users.js';
import type { App } from '../../types.js';
import { authLimitDepsOf } from '../auth/auth-limit-deps.js';
import { sendInBackground } from '../auth/mail-links.js';
import { authErrorBody, checkNewPassword, clientExtras, redirectQuery, refusePkce, userMetadata } from './common.js';
import { authErrors } from './errors.js';
import { verifyLinkStyle } from './links.js';
import { authUser, standInUser, toAuthUser } from './shapes.js';

const signupBody = z.object({
  email: z.email().max(255).optional(),
  phone: z.string().optional(),
  password: z.string().max(1024),
  data: userMetadata.nullish(),
  ...clientExtras,
});

/**
 * `POST /auth/v1/signup`: as Supabase Auth with email confirmation on, the answer is the user without a session, and
 * alike whether or not the address had an account (a stand-in user then, and no mail): it tells nobody who is
 * registered. The new account is mailed a confirmation link and code; it may sign in with its password at once.
 */
export function registerAuthSignup(app: App, deps: Deps): void {
  app.post('/signup', {
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: sign up with email and password; mails a confirmation link and code',
      querystring: redirectQuery,
      body: signupBody,
      response: { 200: authUser, 400: authErrorBody, 422: authErrorBody, 429: authErrorBody },
    },
    handler: async (request) => {
      const { email, phone, password, data } = request.body;
      if (phone) throw authErrors.phoneDisabled('Phone signups are disabled');
      if (!email) throw authErrors.validation('To signup, please provide your email');
      refusePkce(request.body);
      checkNewPassword(password);
      const style = verifyLinkStyle(deps.config, request, request.query.redirect_to);
      // Counted per address before the password is hashed: each account comes with free credits.
      await limitSignups(authLimitDepsOf(deps), request.ip);
      const metadata = data ?? {};
      try {
        const user = await signUp({ db: deps.db, signupCredits: deps.config.SIGNUP_CREDITS, passwords: deps.passwords }, { email, password });
        if (Object.keys(metadata).length > 0) await mergeUserMetadata(deps.db, { userId: user.id, data: metadata });
        sendInBackground(deps.mailer, await prepareConfirmationMail(deps, { user, origin: '', style }), request.log, 'confirmation');
        const account = await findAuthUser(deps.db, user.id);
        return { ...toAuthUser(account!), confirmation_sent_at: deps.clock.now().toISOString() };
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'email_taken')) throw error;
        return standInUser({ email: normaliseEmail(email), userMetadata: metadata, now: deps.clock.now() });
      }
    },
  });
}
