import type { FastifyBaseLogger } from 'fastify';
import type { Deps } from '../../../deps.js';
import type { GenerationDeps } from '../../../domain/generation/create-task.js';

/** The first status check of a new task: soon, but not before the provider has had a moment. */
const FIRST_POLL_DELAY_MS = 5_000;

export function generationDeps(deps: Deps, logger: FastifyBaseLogger): GenerationDeps {
  return {
    db: deps.db,
    providers: deps.providers,
    storage: deps.storage,
    clock: deps.clock,
    logger,
    publicUrl: deps.config.PUBLIC_URL,
    firstPollDelayMs: Math.min(FIRST_POLL_DELAY_MS, deps.config.SYNC_INTERVAL_MS),
    providerBaseUrls: { ai302: deps.config.AI302_BASE_URL, kling: deps.config.KLING_BASE_URL },
    // Kling's create may be sent twice: a refused token is signed again and the call repeated once.
    submitDeadlineMs: 2 * deps.config.PROVIDER_TIMEOUT_MS,
  };
}
