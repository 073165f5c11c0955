import { z } from 'zod';
import type { App } from '../../types.js';

/**
 * `GET /auth/v1/.well-known/jwks.json`: no keys. Our tokens are HS256 with a secret, and Supabase Auth never
 * publishes a symmetric key (internal/api/jwks.go skips them), so clients check our tokens with GET /user.
 */
export function registerAuthJwks(app: App): void {
  app.get('/.well-known/jwks.json', {
    schema: { tags: ['auth/v1'], summary: 'Supabase Auth: the public signing keys (none: tokens are HS256)', response: { 200: z.object({ keys: z.array(z.never()) }) } },
    handler: async (_request, reply) => reply.header('cache-control', 'public, max-age=600').send({ keys: [] }),
  });
}
