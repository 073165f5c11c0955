import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { errors } from '../../../errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The job endpoints' guard: `Authorization: Bearer $CRON_SECRET`, compared in constant time (both sides hashed
 * first, so not even the length leaks). Without CRON_SECRET, outside production only, loopback callers are
 * admitted (the socket's address, never X-Forwarded-For); in production no address stands in for the secret, since
 * behind a reverse proxy on the same host every caller is loopback.
 */
export function requireCronSecret(secret: string | undefined, options: { production: boolean }) {
  return async (request: FastifyRequest): Promise<void> => {
    if (secret === undefined) {
      if (options.production || !LOOPBACK.has(request.socket.remoteAddress ?? '')) throw errors.cronForbidden();
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), digest(secret))) throw errors.cronForbidden();
  };
}
