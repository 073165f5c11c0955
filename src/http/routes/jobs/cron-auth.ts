import type { FastifyRequest } from 'fastify';
import { errors } from '../../../errors.js';
import { bearerMatches } from '../../bearer-secret.js';
import { isLoopbackPeer } from '../../loopback.js';

/**
 * The job endpoints' guard: `Authorization: Bearer $CRON_SECRET`, compared in constant time. Without CRON_SECRET,
 * outside production only, loopback callers are admitted (the socket's address, never X-Forwarded-For); in
 * production no address stands in for the secret, since behind a reverse proxy on the same host every caller is
 * loopback.
 */
export function requireCronSecret(secret: string | undefined, options: { production: boolean }) {
  return async (request: FastifyRequest): Promise<void> => {
    if (secret === undefined) {
      if (options.production || !isLoopbackPeer(request)) throw errors.cronForbidden();
      return;
    }
    if (!bearerMatches(request.headers.authorization, secret)) throw errors.cronForbidden();
  };
}
