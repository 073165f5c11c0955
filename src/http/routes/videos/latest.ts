import { z } from 'zod';
import { listLatestVideos, type LatestVideoRow } from '../../../db/queries/creations.js';
import { asService } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { errorBody, type App } from '../../types.js';

const latestBody = z.array(z.object({ id: z.string(), videoUrl: z.string(), thumbnailUrl: z.string().nullable(), created_at: z.string(), title: z.string() }));

/**
 * The public feed is the same for everyone and read far more often than it changes, so each instance keeps it for
 * a second, and concurrent requests for a stale feed share one query. A finished video shows up within a second.
 */
const FEED_TTL_MS = 1_000;

export function registerLatestVideos(app: App, deps: Deps): void {
  let cached: { at: number; rows: Promise<LatestVideoRow[]> } | undefined;
  const load = () => {
    const now = deps.clock.now().getTime();
    if (!cached || now - cached.at >= FEED_TTL_MS) {
      // Across users, so as the service role; the query selects public fields only.
      const rows = asService(deps.db, (tx) => listLatestVideos(tx, 5));
      cached = { at: now, rows };
      rows.catch(() => {
        if (cached?.rows === rows) cached = undefined;
      });
    }
    return cached.rows;
  };

  app.get('/api/videos/latest', {
    config: { internalErrorMessage: '获取视频失败' },
    schema: { tags: ['public'], summary: 'The five most recently completed videos across all users (refreshed every second)', response: { 200: latestBody, 500: errorBody } },
    handler: async () => (await load()).map((r) => ({ ...r, id: String(r.id) })),
  });
}
