import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { runSyncOnce } from '../../../jobs/passes.js';
import { errorBody, type App } from '../../types.js';
import { requireCronSecret } from './cron-auth.js';

const syncResult = z.object({
  taskId: z.number().int(),
  success: z.boolean(),
  newStatus: z.string(),
  resultUrl: z.string().optional(),
  thumbnailUrl: z.string().optional(),
  error: z.string().optional(),
});

/**
 * The contract's two status-sync endpoints. Both run one pass of the scheduler's sync code (the contract's older
 * `check-video-status` knew 302.ai only; ours follows both providers).
 */
export function registerSyncStatusJobs(app: App, deps: Deps): void {
  const preHandler = requireCronSecret(deps.config.CRON_SECRET, { production: deps.config.NODE_ENV === 'production' });

  app.get('/api/check-video-status', {
    preHandler,
    config: { internalErrorMessage: 'Error in status check' },
    schema: {
      tags: ['jobs'],
      summary: 'Runs one status-sync pass (Authorization: Bearer CRON_SECRET)',
      security: [{ bearer: [] }],
      response: { 200: z.object({ message: z.string(), results: z.array(syncResult) }), 401: errorBody, 500: errorBody },
    },
    handler: async (request) => {
      const results = await runSyncOnce(deps, request.log);
      return { message: 'Status check completed', results };
    },
  });

  app.get('/api/task/update-kling-i2v-status', {
    preHandler,
    schema: {
      tags: ['jobs'],
      summary: 'Runs one status-sync pass over both providers (Authorization: Bearer CRON_SECRET)',
      security: [{ bearer: [] }],
      response: {
        200: z.object({
          success: z.literal(true),
          processed: z.number().int(),
          updated: z.number().int(),
          failed: z.number().int(),
          duration_seconds: z.number(),
          timestamp: z.string(),
          results: z.array(syncResult),
        }),
        401: errorBody,
        500: z.object({ success: z.literal(false), error: z.string(), timestamp: z.string() }),
      },
    },
    handler: async (request, reply) => {
      const started = Date.now();
      try {
        const results = await runSyncOnce(deps, request.log);
        return {
          success: true as const,
          processed: results.length,
          updated: results.filter((r) => r.success).length,
          failed: results.filter((r) => !r.success).length,
          duration_seconds: Math.round((Date.now() - started) / 100) / 10,
          timestamp: new Date().toISOString(),
          results,
        };
      } catch (err) {
        // The contract's 500 shape for this route; the details go to the log, not the caller.
        request.log.error({ err }, 'status sync pass failed');
        return reply.status(500).send({ success: false as const, error: 'Status sync failed', timestamp: new Date().toISOString() });
      }
    },
  });
}
