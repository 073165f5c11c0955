import { z } from 'zod';
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

export function registerCatalog(app: App): void {
  app.get('/api/catalog', {
    schema: { tags: ['public'], summary: 'Every product: its route, kind, duration, quality, provider and price in credits', response: { 200: z.object({ products: z.array(productBody) }) } },
    handler: async () => ({
      products: CATALOG.map(({ id, path, kind, durationSeconds, highQuality, credits, provider }) => ({ id, path, kind, durationSeconds, highQuality, credits, provider })),
    }),
  });
}
