import type { Deps } from '../../../deps.js';
import { clearSessionCookie } from '../../session.js';
import type { App } from '../../types.js';

export function registerLogout(app: App, deps: Deps): void {
  app.post('/api/auth/logout', {
    schema: { tags: ['auth'], summary: 'End the session (clears the cookie)' },
    handler: async (_request, reply) => {
      clearSessionCookie(reply, deps.config.NODE_ENV === 'production');
      return reply.status(204).send();
    },
  });
}
