import type { Deps } from '../../../deps.js';
import { CATALOG, type Product } from '../../../domain/catalog.js';
import { createGenerationTask, submissionFailedError } from '../../../domain/generation/create-task.js';
import { errors } from '../../../errors.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { generationDeps } from './generation-deps.js';
import { generationRateLimit, requireConfirmedEmail, requireProvider } from './guards.js';
import { ai302TextResponse, idempotencyHeaders, officialTextResponse, textToVideoBody } from './schemas.js';

/**
 * Only kling-v1, at std 5 s, takes camera control for text-to-video (Kling's capability map); kling-v1-6, the model of
 * the other official routes and of 302.ai's m2v_16 paths, takes none (docs/providers.md).
 */
const CAMERA_PATHS = CATALOG.filter((p) => p.kind === 't2v' && p.cameraModel).map((p) => p.path);
const CAMERA_REFUSAL = `camera_type is available on ${CAMERA_PATHS.join(', ')} only: the models of the other routes take no camera control`;

function registerProduct(app: App, deps: Deps, session: SessionOptions, product: Product): void {
  const official = product.provider === 'kling';
  app.post(product.path, {
    preHandler: [requireUser(session), requireConfirmedEmail(deps), requireProvider(deps, product)],
    config: { internalErrorMessage: 'Failed to create task record', rateLimit: generationRateLimit(deps, session) },
    schema: {
      tags: ['generation'],
      summary: `Text-to-video, ${product.durationSeconds} s ${product.highQuality ? 'high quality' : 'standard'} (${official ? "Kling's official API" : '302.ai'}) — ${product.credits} credit${product.credits > 1 ? 's' : ''}${product.cameraModel ? `; camera_type moves the camera (made by ${product.cameraModel})` : ''}`,
      headers: idempotencyHeaders,
      body: textToVideoBody,
      response: {
        200: official ? officialTextResponse : ai302TextResponse,
        400: errorBody, 401: errorBody, 403: errorBody, 409: errorBody, 422: errorBody, 429: errorBody, 500: errorBody, 502: errorBody, 503: errorBody,
      },
    },
    handler: async (request) => {
      const body = request.body;
      if (body.camera_type && !product.cameraModel) throw errors.validation(CAMERA_REFUSAL);
      const camera = body.camera_type ? { type: body.camera_type, value: body.camera_value ?? 0 } : undefined;
      const task = await createGenerationTask(
        generationDeps(deps, request.log),
        currentUser(request),
        product,
        { prompt: body.prompt, negativePrompt: body.negative_prompt, cfg: body.cfg, aspectRatio: body.aspect_ratio, camera },
        request.headers['idempotency-key'],
      );
      if (!task.externalTaskId) throw submissionFailedError(task);
      return official
        ? { data: { task_id: task.externalTaskId }, taskId: task.taskId }
        : { data: { task: { id: task.externalTaskId } }, taskId: task.taskId };
    },
  });
}

/** `POST /api/kling/{5s,10s,hq/5s,hq/10s}` and `/api/kling-official/…`: one route per catalog row. */
export function registerTextToVideo(app: App, deps: Deps, session: SessionOptions): void {
  for (const product of CATALOG.filter((p) => p.kind === 't2v')) registerProduct(app, deps, session, product);
}
