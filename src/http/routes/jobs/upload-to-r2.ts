import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { archiveOneTask } from '../../../domain/archive/archive-one.js';
import { errors } from '../../../errors.js';
import { archiveDepsOf, runArchiveOnce, runtimeOf } from '../../../jobs/passes.js';
import { errorBody, type App } from '../../types.js';
import { requireCronSecret } from './cron-auth.js';

const singleBody = z.object({
  taskId: z.coerce.number().int().positive(),
  userId: z.string().min(1),
  videoUrl: z.string().min(1),
  thumbnailUrl: z.string().min(1).optional(),
});

const batchResult = z.object({
  taskId: z.number().int(),
  success: z.boolean(),
  r2VideoUrl: z.string().optional(),
  r2ThumbnailUrl: z.string().optional(),
  error: z.string().optional(),
});

const isEmpty = (body: unknown) => body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0);

/**
 * `POST /api/task/upload-to-r2`: with no body, one archive pass (batch mode); with `{taskId, userId, videoUrl,
 * thumbnailUrl?}`, the copy of one task (single mode), which downloads only the URLs the task's provider gave.
 */
export function registerUploadToR2(app: App, deps: Deps): void {
  app.post('/api/task/upload-to-r2', {
    preHandler: requireCronSecret(deps.config.CRON_SECRET, { production: deps.config.NODE_ENV === 'production' }),
    config: { internalErrorMessage: 'Upload failed' },
    schema: {
      tags: ['jobs'],
      summary: 'Copies finished videos into our storage: batch (no body) or one task (Authorization: Bearer CRON_SECRET)',
      security: [{ bearer: [] }],
      body: z.unknown().optional(),
      response: {
        200: z.union([
          z.object({
            success: z.literal(true),
            message: z.literal('Files uploaded to R2 successfully'),
            data: z.object({ taskId: z.number().int(), r2VideoUrl: z.string(), r2ThumbnailUrl: z.string().nullable() }),
          }),
          z.object({
            success: z.literal(true),
            message: z.literal('Batch upload completed'),
            data: z.object({ tasksProcessed: z.number().int(), results: z.array(batchResult) }),
          }),
        ]),
        400: errorBody, 401: errorBody, 404: errorBody, 409: errorBody, 500: errorBody,
      },
    },
    handler: async (request) => {
      if (isEmpty(request.body)) {
        const results = await runArchiveOnce(deps, request.log);
        const data = { tasksProcessed: results.length, results: results.map(({ refused: _refused, ...r }) => r) };
        return { success: true as const, message: 'Batch upload completed' as const, data };
      }
      const parsed = singleBody.safeParse(request.body);
      if (!parsed.success) throw errors.missingParameters('en');
      const data = await archiveOneTask(archiveDepsOf(deps, request.log), runtimeOf(deps).nextLeaseOwner('archive'), parsed.data);
      return { success: true as const, message: 'Files uploaded to R2 successfully' as const, data };
    },
  });
}
