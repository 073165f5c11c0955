import type { FastifyRequest } from 'fastify';
import { errors } from '../../../errors.js';
import { bearerMatches } from '../../bearer-secret.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The job endpoints' guard: `Authorization: Bearer $CRON_SECRET`, compared in constant time. Without CRON_SECRET,
 * outside production only, loopback callers are admitted (the socket's address, never X-Forwarded-For); in
 * production no address stands in for the secret, since behind a reverse proxy on the same host every caller is
 * loopback.
 */
export function requireCronSecret(secret: string | undefined, options: { production: boolean }) {
  return async (request: FastifyRequest): Promise<void> => {
    if (secret === undefined) {
      if (options.production || !LOOPBACK.has(request.socket.remoteAddress ?? '')) throw errors.cronForbidden();
      return;
    }
    if (!bearerMatches(request.headers.authorization, secret)) throw errors.cronForbidden();
  };
}
