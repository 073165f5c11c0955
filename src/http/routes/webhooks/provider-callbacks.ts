import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { handleProviderCallback } from '../../../domain/sync/callbacks.js';
import { errors } from '../../../errors.js';
import { syncDepsOf } from '../../../jobs/passes.js';
import type { ProviderName } from '../../../providers/video-provider.js';
import { errorBody, type App } from '../../types.js';

const PATHS: ReadonlyArray<[segment: string, provider: ProviderName]> = [
  ['kling', 'kling'],
  ['302', 'ai302'],
];

/**
 * `POST /api/webhooks/kling/:token` and `/api/webhooks/302/:token`: the providers' status callbacks. The token is the
 * task's own secret (callback_token), so a caller who does not know it cannot touch the task; an unknown token is a
 * 404. The body is acknowledged with 200 even when it is ignored, so a provider does not keep retrying it.
 */
export function registerProviderCallbacks(app: App, deps: Deps): void {
  for (const [segment, provider] of PATHS) {
    app.post(`/api/webhooks/${segment}/:token`, {
      schema: {
        tags: ['webhooks'],
        summary: `Status callback from ${provider === 'kling' ? "Kling's official API" : '302.ai'}`,
        params: z.object({ token: z.string().min(1).max(200) }),
        body: z.unknown(),
        response: { 200: z.object({ received: z.literal(true), recorded: z.boolean() }), 400: errorBody, 404: errorBody },
      },
      handler: async (request) => {
        const outcome = await handleProviderCallback(syncDepsOf(deps, request.log), provider, request.params.token, request.body);
        if (outcome.kind === 'unknown_token') throw errors.notFound('Unknown callback');
        return { received: true as const, recorded: outcome.kind === 'recorded' && outcome.result.success };
      },
    });
  }
}
