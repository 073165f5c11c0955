import { z } from 'zod';
import { listCreations } from '../../../db/queries/creations.js';
import { readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { creationBody, pageQuery } from './schemas.js';

export function registerFetchCreation(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/user/fetch-creation', {
    preHandler: requireUser(session),
    config: { internalErrorMessage: 'Failed to fetch creations' },
    schema: {
      tags: ['user'],
      summary: "The signed-in user's tasks, newest first, each with its latest status (at most 100 per page; page with `before` = `next_before`)",
      querystring: pageQuery(100, 100),
      response: { 200: z.object({ creations: z.array(creationBody), next_before: z.number().int().nullable() }), 400: errorBody, 401: errorBody, 500: errorBody },
    },
    handler: async (request) => {
      const user = currentUser(request);
      const { limit, before } = request.query;
      // One extra row tells whether another page exists.
      const rows = await readAsUser(deps.db, user, (q) => listCreations(q, user.id, { limit: limit + 1, before }));
      const creations = rows.slice(0, limit);
      return { creations, next_before: rows.length > limit ? creations[creations.length - 1]!.id : null };
    },
  });
}
