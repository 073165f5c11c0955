import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { prepareSignInMail } from '../../../domain/email-sign-in.js';
import type { App } from '../../types.js';
import { authLimitDepsOf } from '../auth/auth-limit-deps.js';
import { sendInBackground } from '../auth/mail-links.js';
import { asEmailSend, authErrorBody, clientExtras, redirectQuery, refusePkce } from './common.js';
import { authErrors } from './errors.js';
import { verifyLinkStyle } from './links.js';

const otpBody = z.object({
  email: z.email().max(255).optional(),
  phone: z.string().optional(),
  create_user: z.boolean().default(true),
  data: z.record(z.string(), z.unknown()).nullish(),
  channel: z.string().optional(),
  ...clientExtras,
});

/**
 * `POST /auth/v1/otp` (signInWithOtp with an email): mails a sign-in link and a 6-digit code. With `create_user`
 * (the default) an unknown address gets an account, as a signup (the signup limit applies); without it, nothing is
 * mailed. `{}` in every case: unlike Supabase Auth (422 otp_disabled), the answer does not tell whether the address
 * has an account. Phone codes are not offered.
 */
export function registerAuthOtp(app: App, deps: Deps): void {
  app.post('/otp', {
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: mail a sign-in link and code (creating the account unless create_user is false)',
      querystring: redirectQuery,
      body: otpBody,
      response: { 200: z.object({}), 400: authErrorBody, 429: authErrorBody },
    },
    handler: async (request) => {
      const { email, phone, create_user: createUser } = request.body;
      if (phone) throw authErrors.phoneDisabled('Unsupported phone provider');
      if (!email) throw authErrors.validation('One of email or phone must be set');
      refusePkce(request.body);
      const style = verifyLinkStyle(deps.config, request, request.query.redirect_to, 'magiclink');
      const signInDeps = { ...authLimitDepsOf(deps), passwords: deps.passwords, signupCredits: deps.config.SIGNUP_CREDITS };
      const message = await asEmailSend(() => prepareSignInMail(signInDeps, { email, address: request.ip, createUser, style }));
      if (message) sendInBackground(deps.mailer, message, request.log, 'sign-in');
      return {};
    },
  });
}
