import { z } from 'zod';
import { findCredits } from '../../../db/queries/credits.js';
import { readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';

/** The contract's fields, and the rest of the row the original answered with (its front end reads them). */
export const creditsBody = z.object({
  id: z.number().int(),
  user_id: z.string(),
  credits_balance: z.number().int(),
  total_credits_purchased: z.number().int(),
  total_credits_used: z.number().int(),
  level: z.string(),
  last_purchase_date: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export function registerFetchCredit(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/user/fetch-credit', {
    preHandler: requireUser(session),
    config: { internalErrorMessage: 'Failed to fetch credits' },
    schema: { tags: ['user'], summary: "The signed-in user's credit balance and totals", response: { 200: creditsBody, 401: errorBody, 404: errorBody, 500: errorBody } },
    handler: async (request) => {
      const user = currentUser(request);
      const credits = await readAsUser(deps.db, user, (q) => findCredits(q, user.id));
      if (!credits) throw errors.notFound('No credit account');
      return credits;
    },
  });
}
