import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { errors } from '../../../errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * The job endpoints' guard: `Authorization: Bearer $CRON_SECRET`, compared in constant time (both sides hashed
 * first, so not even the length leaks). Without CRON_SECRET (development only: production refuses to start without
 * it) only loopback callers are admitted. The socket's address is used, never X-Forwarded-For, which a caller
 * could forge.
 */
export function requireCronSecret(secret: string | undefined) {
  return async (request: FastifyRequest): Promise<void> => {
    if (secret === undefined) {
      if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) throw errors.cronForbidden();
      return;
    }
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]!), digest(secret))) throw errors.cronForbidden();
  };
}
