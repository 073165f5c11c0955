import { z } from 'zod';
import { findCreation } from '../../../db/queries/creations.js';
import { readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { creationBody } from './schemas.js';

export function registerGetTask(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/user/tasks/:id', {
    preHandler: requireUser(session),
    schema: {
      tags: ['user'],
      summary: 'One of the signed-in user’s tasks with its latest status',
      params: z.object({ id: z.coerce.number().int().positive() }),
      response: { 200: creationBody, 400: errorBody, 401: errorBody, 404: errorBody },
    },
    handler: async (request) => {
      const user = currentUser(request);
      const task = await readAsUser(deps.db, user, (q) => findCreation(q, user.id, request.params.id));
      if (!task) throw errors.taskNotFound();
      return task;
    },
  });
}
