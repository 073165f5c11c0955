import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { deleteAccount } from '../../../domain/delete-account.js';
import { clearSessionCookies, currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { authLimitDepsOf } from './auth-limit-deps.js';
import { ownAccountsOnly } from './respond-with-session.js';

/** Up to 1024 characters, as at sign-in: older accounts may have longer passwords. */
const deleteAccountBody = z.object({ password: z.string().min(1).max(1024) });

/**
 * `DELETE /api/auth/account`: deletes the signed-in user's account, irreversibly, once they have given its password
 * (domain/delete-account.ts says what goes and what the ledger keeps). With Supabase Auth the accounts are Supabase's
 * (403). Cookies are cleared: every session of the account has ended.
 */
export function registerDeleteAccount(app: App, deps: Deps, session: SessionOptions): void {
  app.delete('/api/auth/account', {
    preValidation: ownAccountsOnly(deps.tokens),
    preHandler: requireUser(session),
    config: { rateLimit: { max: deps.config.AUTH_RATE_LIMIT, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      summary: 'Delete the signed-in user’s account for good: tasks, files, favorites, credits, sessions; the ledger keeps anonymised rows',
      body: deleteAccountBody,
      response: { 204: z.null(), 400: errorBody, 401: errorBody, 403: errorBody, 409: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      const user = currentUser(request);
      await deleteAccount({ ...authLimitDepsOf(deps), passwords: deps.passwords, liveSessions: deps.liveSessions }, { userId: user.id, password: request.body.password });
      clearSessionCookies(reply, deps.config.NODE_ENV === 'production');
      return reply.status(204).send(null);
    },
  });
}
