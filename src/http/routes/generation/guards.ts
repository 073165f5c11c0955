import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import type { Product } from '../../../domain/catalog.js';
import { providerFor } from '../../../domain/generation/submit.js';
import { isEmailConfirmed } from '../../../domain/email-confirmation.js';
import { errors } from '../../../errors.js';
import { currentUser, readUser, type SessionOptions } from '../../session.js';

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

/**
 * Refuses a product whose provider is switched off with 503 provider_unavailable, after authentication and before the
 * image form is read. createGenerationTask refuses it too, before charging, whoever calls it.
 */
export function requireProvider(deps: Deps, product: Product) {
  return async (): Promise<void> => {
    providerFor(deps.providers, product.provider);
  };
}

/**
 * With REQUIRE_EMAIL_CONFIRMATION, refuses a user whose address is unconfirmed with 403 email_not_confirmed, after
 * authentication and before anything is read or charged.
 */
export function requireConfirmedEmail(deps: Deps) {
  return async (request: FastifyRequest): Promise<void> => {
    if (deps.config.REQUIRE_EMAIL_CONFIRMATION && !(await isEmailConfirmed(deps.db, currentUser(request).id))) throw errors.emailNotConfirmed();
  };
}
