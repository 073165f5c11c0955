import type { Deps } from '../../../deps.js';
import { CATALOG, type Product } from '../../../domain/catalog.js';
import { createGenerationTask, submissionFailedError } from '../../../domain/generation/create-task.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { generationDeps } from './generation-deps.js';
import { generationRateLimit, requireConfirmedEmail, requireProvider } from './guards.js';
import { readImageForm } from './read-image-form.js';
import { idempotencyHeaders, imageResponse } from './schemas.js';

function registerProduct(app: App, deps: Deps, session: SessionOptions, product: Product): void {
  app.post(product.path, {
    preHandler: [requireUser(session, errors.unauthorizedI2v), requireConfirmedEmail(deps), requireProvider(deps, product)],
    config: { internalErrorMessage: '创建任务记录失败', rateLimit: generationRateLimit(deps, session) },
    schema: {
      tags: ['generation'],
      summary: `Image-to-video, ${product.durationSeconds} s ${product.highQuality ? 'high quality' : 'standard'} (${product.provider === 'kling' ? "Kling's official API" : '302.ai'}) — ${product.credits} credits. multipart/form-data: input_image (JPEG/PNG ≤ 10 MB, sides ≥ 300 px, aspect 1:2.5–2.5:1)${product.takesEndImage ? ', end_image (optional last frame, same rules)' : ''}, prompt, negative_prompt, cfg`,
      headers: idempotencyHeaders,
      consumes: ['multipart/form-data'],
      response: { 200: imageResponse, 400: errorBody, 401: errorBody, 403: errorBody, 409: errorBody, 422: errorBody, 429: errorBody, 500: errorBody, 502: errorBody, 503: errorBody },
    },
    handler: async (request) => {
      const form = await readImageForm(request, product);
      const task = await createGenerationTask(
        generationDeps(deps, request.log),
        currentUser(request),
        product,
        { ...form, aspectRatio: '1:1' },
        request.headers['idempotency-key'],
      );
      if (!task.externalTaskId) throw submissionFailedError(task);
      return { message: '任务创建成功', taskId: task.taskId, statusId: task.statusId, status: task.status };
    },
  });
}

/** `POST /api/kling/i2v/…` and `/api/kling-official/i2v/…`: one route per catalog row. */
export function registerImageToVideo(app: App, deps: Deps, session: SessionOptions): void {
  for (const product of CATALOG.filter((p) => p.kind === 'i2v')) registerProduct(app, deps, session, product);
}
