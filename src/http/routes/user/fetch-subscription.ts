import { z } from 'zod';
import { findLatestSubscription } from '../../../db/queries/subscriptions.js';
import { readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';

const subscriptionBody = z.object({
  id: z.number().int(),
  user_id: z.string(),
  plan_type: z.string(),
  status: z.string(),
  start_date: z.string(),
  end_date: z.string(),
  renewal_status: z.enum(['auto', 'manual']),
  created_at: z.string(),
  updated_at: z.string(),
});

export function registerFetchSubscription(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/user/fetch-subscription', {
    preHandler: requireUser(session),
    config: { internalErrorMessage: 'Failed to fetch subscription' },
    schema: {
      tags: ['user'],
      summary: "The signed-in user's most recent subscription; 404 `subscription_not_found` when there is none",
      response: { 200: subscriptionBody, 401: errorBody, 404: errorBody, 500: errorBody },
    },
    handler: async (request) => {
      const user = currentUser(request);
      const row = await readAsUser(deps.db, user, (q) => findLatestSubscription(q, user.id));
      if (!row) throw errors.subscriptionNotFound();
      // The contract's renewal_status is not a column: it is what auto_renew says.
      return {
        id: row.id,
        user_id: row.user_id,
        plan_type: row.plan_type,
        status: row.status,
        start_date: row.start_date,
        end_date: row.end_date,
        renewal_status: row.auto_renew ? ('auto' as const) : ('manual' as const),
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
    },
  });
}
