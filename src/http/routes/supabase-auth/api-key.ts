import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';

/** Opened from a mail or a browser, which send no key (Supabase's gateway lets these through too). */
const OPEN_PATHS = new Set(['/auth/v1/verify', '/auth/v1/authorize', '/auth/v1/callback', '/auth/v1/.well-known/jwks.json']);

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Supabase's gateway checks the `apikey` header (or `?apikey=`) before Auth sees a request; so do we, against
 * PUBLISHABLE_KEY, in constant time (both sides hashed to one length first). Without PUBLISHABLE_KEY any value passes
 * outside production, and production refuses everything: /auth/v1 is then off until the operator names its key.
 * Refusals have the gateway's body, `{message, hint}`.
 */
export function checkApiKey(config: Pick<Config, 'PUBLISHABLE_KEY' | 'NODE_ENV'>) {
  const expected = config.PUBLISHABLE_KEY === undefined ? undefined : digest(config.PUBLISHABLE_KEY);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.method === 'OPTIONS' || OPEN_PATHS.has(request.url.split('?')[0]!)) return undefined;
    const header = request.headers.apikey;
    const query = (request.query as Record<string, unknown> | undefined)?.apikey;
    const presented = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
    if (presented === undefined) {
      return reply.status(401).send({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' });
    }
    const production = config.NODE_ENV === 'production';
    if (expected ? !timingSafeEqual(digest(presented), expected) : production) {
      const hint = expected ? 'Double check your Supabase `anon` or `publishable` API key.' : 'PUBLISHABLE_KEY is not set on this server.';
      return reply.status(401).send({ message: 'Invalid API key', hint });
    }
    return undefined;
  };
}
