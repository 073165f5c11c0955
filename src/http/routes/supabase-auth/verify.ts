import { z } from 'zod';
import type { AuthenticatedUser } from '../../../auth/tokens.js';
import type { EmailTokenPurpose } from '../../../db/queries/email-tokens.js';
import type { Deps } from '../../../deps.js';
import { confirmEmailChange } from '../../../domain/email-change.js';
import { signInWithEmailSecret, type EmailSecret } from '../../../domain/email-sign-in.js';
import { AppError } from '../../../errors.js';
import type { App } from '../../types.js';
import { authErrorBody } from './common.js';
import { authErrors, sendAuthError } from './errors.js';
import { allowedRedirect } from './links.js';
import { signInResponse } from './session-response.js';
import { authSession } from './shapes.js';

const verifyType = z.enum(['signup', 'invite', 'recovery', 'magiclink', 'email', 'email_change', 'sms', 'phone_change']);
type VerifyType = z.infer<typeof verifyType>;

/** Which of our tokens each of Supabase Auth's types may be (magic links are recovery tokens there too). */
const PURPOSES: Partial<Record<VerifyType, EmailTokenPurpose[]>> = {
  signup: ['confirm'],
  recovery: ['recover'],
  magiclink: ['recover'],
  email: ['confirm', 'recover'],
};

/** Uses up the secret and returns whom it signs in; an email change moves the account first (its token only). */
async function verifiedUser(deps: Deps, type: VerifyType, secret: EmailSecret): Promise<AuthenticatedUser> {
  if (type === 'sms' || type === 'phone_change') throw authErrors.phoneDisabled('Phone logins are disabled', 422);
  if (type === 'email_change') {
    if (!('token' in secret)) throw authErrors.codeExpired();
    return confirmEmailChange(deps, secret.token);
  }
  const purposes = PURPOSES[type];
  if (!purposes) throw authErrors.validation('Unsupported verification type');
  return signInWithEmailSecret(deps, { purposes, secret });
}

const tokenOrHash = z.string().min(1).max(128);
const getQuery = z.object({ token: tokenOrHash, type: verifyType, redirect_to: z.string().max(2048).optional() });
const postBody = z.object({
  type: verifyType,
  token_hash: tokenOrHash.optional(),
  token: z.string().max(128).optional(),
  email: z.email().max(255).optional(),
  phone: z.string().optional(),
  redirect_to: z.string().optional(),
  gotrue_meta_security: z.unknown().optional(),
});

/** OAuth's word for a failure's status, sent with its code in the redirect's fragment (Supabase Auth's oauthErrorMap). */
const OAUTH_ERROR: Record<number, string> = { 400: 'invalid_request', 401: 'unauthorized_client', 403: 'access_denied', 429: 'access_denied', 500: 'server_error' };

function fragmentOf(values: Record<string, string>): string {
  return new URLSearchParams({ ...values, sb: '' }).toString();
}

/**
 * `GET /auth/v1/verify?token&type&redirect_to`, the link in our mails: uses up the token, starts a session and sends
 * the browser to `redirect_to` (only on the site's own origin, else its root) with the session in the fragment
 * (Supabase Auth's implicit flow), or the error there. `POST /auth/v1/verify` (verifyOtp): `{type, token_hash}`
 * or `{type, email, token}` (the 6-digit code) answered with the session.
 */
export function registerAuthVerify(app: App, deps: Deps): void {
  const limit = { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } };

  app.get('/verify', {
    config: limit,
    schema: { tags: ['auth/v1'], summary: 'Supabase Auth: open a mailed link; redirects with the session in the URL fragment', querystring: getQuery },
    handler: async (request, reply) => {
      const { token, type, redirect_to: redirectTo } = request.query;
      const target = allowedRedirect(deps.config, request, redirectTo);
      try {
        const session = await signInResponse(deps, request, await verifiedUser(deps, type, { token }), 'otp');
        const values = {
          access_token: session.access_token,
          token_type: session.token_type,
          expires_in: String(session.expires_in),
          expires_at: String(session.expires_at),
          refresh_token: session.refresh_token,
          type,
        };
        return reply.redirect(`${target}#${fragmentOf(values)}`, 303);
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        const failure = error.code === 'invalid_token' ? authErrors.linkExpired() : error;
        const values = { error: OAUTH_ERROR[failure.status] ?? 'invalid_request', error_code: failure.code, error_description: failure.message };
        return reply.redirect(`${target}#${fragmentOf(values)}`, 303);
      }
    },
  });

  app.post('/verify', {
    config: limit,
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: verify a mailed token hash, or an email and its 6-digit code; answers with a session',
      body: postBody,
      response: { 200: authSession, 400: authErrorBody, 403: authErrorBody, 422: authErrorBody, 429: authErrorBody },
    },
    handler: async (request, reply) => {
      const { type, token_hash: tokenHash, token, email, phone } = request.body;
      if (phone) throw authErrors.phoneDisabled('Phone logins are disabled', 422);
      if (tokenHash && (token || email)) throw authErrors.validation('Only the token_hash and type should be provided');
      let secret: EmailSecret;
      if (tokenHash) secret = { token: tokenHash };
      else if (token && email) secret = { email, code: token };
      else throw authErrors.validation('Verify requires either a token or a token hash');
      try {
        return reply.send(await signInResponse(deps, request, await verifiedUser(deps, type, secret), 'otp'));
      } catch (error) {
        if (error instanceof AppError && error.code === 'invalid_token') return sendAuthError(request, reply, tokenHash ? authErrors.linkExpired() : authErrors.codeExpired());
        throw error;
      }
    },
  });
}
