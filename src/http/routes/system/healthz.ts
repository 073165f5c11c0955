import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import type { App } from '../../types.js';

export function registerHealthz(app: App, deps: Deps): void {
  app.get('/healthz', {
    logLevel: 'warn',
    schema: {
      tags: ['system'],
      summary: '200 when the database answers',
      response: { 200: z.object({ status: z.literal('ok'), database: z.string() }), 503: z.object({ status: z.literal('unavailable'), database: z.string() }) },
    },
    handler: async (_request, reply) => {
      try {
        await deps.db.query('select 1');
        return { status: 'ok' as const, database: deps.db.kind };
      } catch {
        return reply.status(503).send({ status: 'unavailable' as const, database: deps.db.kind });
      }
    },
  });
}
