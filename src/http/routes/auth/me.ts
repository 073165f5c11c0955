import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { userBody } from './schemas.js';

export function registerMe(app: App, _deps: Deps, session: SessionOptions): void {
  app.get('/api/auth/me', {
    preHandler: requireUser(session),
    schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: z.object({ user: userBody }), 401: errorBody } },
    handler: async (request) => ({ user: currentUser(request) }),
  });
}
