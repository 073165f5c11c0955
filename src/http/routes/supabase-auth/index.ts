import type { FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../../deps.js';
import type { SessionOptions } from '../../session.js';
import type { App } from '../../types.js';
import { checkApiKey } from './api-key.js';
import { authErrorHandler, authErrors, sendAuthError } from './errors.js';
import { registerAuthJwks } from './jwks.js';
import { registerAuthLogout } from './logout.js';
import { registerAuthNotOffered } from './not-offered.js';
import { registerAuthOtp } from './otp.js';
import { registerAuthRecover } from './recover.js';
import { registerAuthSettings } from './settings.js';
import { registerAuthSignup } from './signup.js';
import { registerAuthToken } from './token.js';
import { registerAuthUser } from './user.js';
import { registerAuthVerify } from './verify.js';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'apikey, authorization, content-type, x-client-info, x-supabase-api-version, x-retry-count',
  'access-control-expose-headers': 'x-supabase-api-version, x-sb-error-code, retry-after',
  'access-control-max-age': '86400',
};

function allowAnyOrigin(reply: FastifyReply): void {
  reply.headers(CORS_HEADERS);
}

/**
 * Supabase Auth's HTTP API under /auth/v1, the part its client libraries use, on our own accounts (docs/auth-v1.md):
 * its request and response shapes, its errors, its `apikey`. Off when Supabase Auth itself is the identity provider
 * (SUPABASE_URL): then there is nothing here. Any origin may call it: it reads no cookies, only the bearer token a
 * client holds, so a foreign page gains nothing it did not already have.
 */
export async function registerSupabaseAuth(app: App, deps: Deps, session: SessionOptions): Promise<void> {
  if (!deps.tokens.issue) return;
  await app.register(
    async (scope) => {
      const auth = scope.withTypeProvider<ZodTypeProvider>();
      auth.setErrorHandler(authErrorHandler);
      auth.setNotFoundHandler((request, reply) => sendAuthError(request, reply, authErrors.notOffered()));
      // supabase-js sends `Content-Type: application/json` with no body on logout.
      auth.removeContentTypeParser('application/json');
      auth.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
        if (body === '') return done(null, undefined);
        try {
          done(null, JSON.parse(String(body)));
        } catch {
          done(Object.assign(new Error('Could not parse the request body as JSON'), { statusCode: 400 }));
        }
      });
      auth.addHook('onRequest', async (_request, reply) => allowAnyOrigin(reply));
      auth.addHook('onRequest', checkApiKey(deps.config));
      auth.options('/*', { schema: { hide: true } }, async (_request, reply) => reply.status(204).send());

      registerAuthSignup(auth, deps);
      registerAuthToken(auth, deps);
      registerAuthUser(auth, deps, session);
      registerAuthLogout(auth, deps, session);
      registerAuthRecover(auth, deps);
      registerAuthOtp(auth, deps);
      registerAuthVerify(auth, deps);
      registerAuthSettings(auth);
      registerAuthJwks(auth);
      registerAuthNotOffered(auth);
    },
    { prefix: '/auth/v1' },
  );
}
