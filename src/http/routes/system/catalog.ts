import { z } from 'zod';
import type { Deps } from '../../../deps.js';
import { CATALOG } from '../../../domain/catalog.js';
import type { App } from '../../types.js';

const productBody = z.object({
  id: z.string(),
  path: z.string(),
  kind: z.enum(['t2v', 'i2v']),
  durationSeconds: z.union([z.literal(5), z.literal(10)]),
  highQuality: z.boolean(),
  credits: z.number().int(),
  provider: z.enum(['ai302', 'kling']),
});

/** The products on offer: those of a switched-off provider (no keys, no simulator) are left out. */
export function registerCatalog(app: App, deps: Pick<Deps, 'providers'>): void {
  const offered = CATALOG.filter((p) => deps.providers[p.provider] !== undefined);
  app.get('/api/catalog', {
    schema: { tags: ['public'], summary: 'Every product on offer: its route, kind, duration, quality, provider and price in credits', response: { 200: z.object({ products: z.array(productBody) }) } },
    handler: async () => ({
      products: offered.map(({ id, path, kind, durationSeconds, highQuality, credits, provider }) => ({ id, path, kind, durationSeconds, highQuality, credits, provider })),
    }),
  });
}
