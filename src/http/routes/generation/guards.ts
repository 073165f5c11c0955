import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { readUser, type SessionOptions } from '../../session.js';

/** Per-user rate limit for the paid endpoints (per IP for anonymous callers, who get a 401 anyway). */
export function generationRateLimit(deps: Deps, session: SessionOptions) {
  return {
    max: deps.config.GENERATION_RATE_LIMIT,
    timeWindow: '1 minute',
    keyGenerator: async (request: FastifyRequest) => {
      const user = await readUser(request, session).catch(() => null);
      return user ? `user:${user.id}` : `ip:${request.ip}`;
    },
  };
}
