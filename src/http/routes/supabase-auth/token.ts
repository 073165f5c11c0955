import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { logIn } from '../../../domain/accounts.js';
import { refreshSession } from '../../../domain/sessions.js';
import type { App } from '../../types.js';
import { authLimitDepsOf } from '../auth/auth-limit-deps.js';
import { clientOf, sessionDepsOf } from '../auth/respond-with-session.js';
import { authErrorBody } from './common.js';
import { authErrors } from './errors.js';
import { sessionResponse, signInResponse } from './session-response.js';
import { authSession } from './shapes.js';

const tokenQuery = z.object({ grant_type: z.string().optional() });

/** One body for every grant: each takes its own fields, checked in the handler as Supabase Auth does. */
const tokenBody = z
  .object({
    email: z.string().max(255).optional(),
    phone: z.string().optional(),
    password: z.string().max(1024).optional(),
    refresh_token: z.string().max(512).optional(),
    gotrue_meta_security: z.unknown().optional(),
  })
  .nullish();

/**
 * `POST /auth/v1/token?grant_type=password|refresh_token`: a sign-in, or a refresh that rotates the refresh token
 * (domain/sessions.ts: a used one presented again past the reuse interval ends the session). The PKCE, id_token and
 * web3 grants are not offered (docs/auth-v1.md); any other grant is Supabase Auth's `unsupported_grant_type`.
 */
export function registerAuthToken(app: App, deps: Deps): void {
  app.post('/token', {
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT + deps.config.REFRESH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth/v1'],
      summary: 'Supabase Auth: sign in with a password, or trade a refresh token for a new session token pair',
      querystring: tokenQuery,
      body: tokenBody,
      response: { 200: authSession, 400: authErrorBody, 422: authErrorBody, 429: authErrorBody },
    },
    handler: async (request) => {
      const body = request.body ?? {};
      switch (request.query.grant_type) {
        case 'password': {
          if (body.phone) throw authErrors.phoneDisabled('Phone logins are disabled', 422);
          if (!body.email) throw authErrors.validation('missing email or phone');
          const user = await logIn({ ...authLimitDepsOf(deps), passwords: deps.passwords }, { email: body.email, password: body.password ?? '' });
          return signInResponse(deps, request, user, 'password');
        }
        case 'refresh_token': {
          if (!body.refresh_token) throw authErrors.refreshTokenNotFound();
          const refreshed = await refreshSession(sessionDepsOf(deps), body.refresh_token, clientOf(request));
          // Which method began the session is not kept: a refreshed token says so (Supabase Auth's own method name).
          const amr = [{ method: 'token_refresh', timestamp: Math.floor(deps.clock.now().getTime() / 1000) }];
          return sessionResponse(deps, refreshed.user.id, refreshed, amr);
        }
        case 'pkce':
          throw authErrors.pkceNotOffered();
        case 'id_token':
        case 'web3':
          throw authErrors.providerNotEnabled();
        default:
          throw authErrors.unsupportedGrant();
      }
    },
  });
}
