import { z } from 'zod';
import { listLedger } from '../../../db/queries/credits.js';
import { readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { pageQuery } from './schemas.js';

const entryBody = z.object({
  id: z.number().int(),
  delta: z.number().int(),
  reason: z.string(),
  task_id: z.number().int().nullable(),
  balance_after: z.number().int(),
  created_at: z.string(),
});

export function registerCreditHistory(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/user/credit-history', {
    preHandler: requireUser(session),
    schema: {
      tags: ['user'],
      summary: "The signed-in user's credit ledger, newest first: every change of the balance with its reason",
      querystring: pageQuery(50, 200),
      response: { 200: z.object({ entries: z.array(entryBody) }), 400: errorBody, 401: errorBody },
    },
    handler: async (request) => {
      const user = currentUser(request);
      const entries = await readAsUser(deps.db, user, (q) => listLedger(q, user.id, request.query));
      return { entries };
    },
  });
}
