import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { isEmailConfirmed } from '../../../domain/email-confirmation.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { meBody } from './schemas.js';

export function registerMe(app: App, deps: Deps, session: SessionOptions): void {
  app.get('/api/auth/me', {
    preHandler: requireUser(session),
    schema: { tags: ['auth'], summary: 'The signed-in user, and whether their email is confirmed', response: { 200: z.object({ user: meBody }), 401: errorBody } },
    handler: async (request) => {
      const user = currentUser(request);
      return { user: { id: user.id, email: user.email, email_confirmed: await isEmailConfirmed(deps.db, user.id) } };
    },
  });
}
