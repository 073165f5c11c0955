import { z } from 'zod';
import { listLatestVideos } from '../../../db/queries/creations.js';
import { asService } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { errorBody, type App } from '../../types.js';

const latestBody = z.array(z.object({ id: z.string(), videoUrl: z.string(), created_at: z.string(), title: z.string() }));

export function registerLatestVideos(app: App, deps: Deps): void {
  app.get('/api/videos/latest', {
    config: { internalErrorMessage: '获取视频失败' },
    schema: { tags: ['public'], summary: 'The five most recently completed videos across all users', response: { 200: latestBody, 500: errorBody } },
    handler: async () => {
      // Across users, so as the service role; the query selects public fields only.
      const rows = await asService(deps.db, (tx) => listLatestVideos(tx, 5));
      return rows.map((r) => ({ ...r, id: String(r.id) }));
    },
  });
}
