import { z } from 'zod';
import { addFavorite, listFavorites, removeFavorite } from '../../../db/queries/favorites.js';
import { readAsUser, withUserScope } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';

const favoriteBody = z.object({ task_id: z.number().int(), created_at: z.string() });
const taskIdParams = z.object({ taskId: z.coerce.number().int().positive() });

/** `GET/POST/DELETE /api/user/favorites` on the contract's user_favorites table, inside the user's RLS scope. */
export function registerFavorites(app: App, deps: Deps, session: SessionOptions): void {
  const preHandler = requireUser(session);

  app.get('/api/user/favorites', {
    preHandler,
    schema: { tags: ['user'], summary: "The signed-in user's favorite task ids, newest first", response: { 200: z.object({ favorites: z.array(favoriteBody) }), 401: errorBody } },
    handler: async (request) => {
      const user = currentUser(request);
      return { favorites: await readAsUser(deps.db, user, (q) => listFavorites(q, user.id)) };
    },
  });

  app.post('/api/user/favorites', {
    preHandler,
    schema: {
      tags: ['user'],
      summary: 'Favorite one of your tasks (idempotent)',
      body: z.object({ taskId: z.number().int().positive() }),
      response: { 201: z.object({ task_id: z.number().int() }), 400: errorBody, 401: errorBody, 404: errorBody },
    },
    handler: async (request, reply) => {
      const user = currentUser(request);
      const { taskId } = request.body;
      const added = await withUserScope(deps.db, user, (tx) => addFavorite(tx, user.id, taskId));
      if (!added) throw errors.taskNotFound();
      return reply.status(201).send({ task_id: taskId });
    },
  });

  app.delete('/api/user/favorites/:taskId', {
    preHandler,
    schema: { tags: ['user'], summary: 'Remove a favorite', params: taskIdParams, response: { 204: z.null(), 400: errorBody, 401: errorBody, 404: errorBody } },
    handler: async (request, reply) => {
      const user = currentUser(request);
      const removed = await withUserScope(deps.db, user, (tx) => removeFavorite(tx, user.id, request.params.taskId));
      if (!removed) throw errors.notFound('Favorite not found');
      return reply.status(204).send(null);
    },
  });
}
