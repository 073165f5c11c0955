import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { countHit, deleteEndedHitCounts } from '../db/queries/rate-limit-counters.js';
import { asServerStatements } from '../db/scope.js';
import type { Log } from '../log.js';

/** Ended windows are deleted this often, by whichever request comes first after the interval. */
const PURGE_EVERY_MS = 10 * 60_000;

/** What the plugin hands `child`: the route's options, with the route itself under `routeInfo`. */
const routeOptionsSchema = z.object({
  routeInfo: z.object({ method: z.union([z.string(), z.array(z.string())]), url: z.string() }).partial(),
});

/**
 * A store for @fastify/rate-limit that counts in PostgreSQL (rate_limit_counters), so every instance shares one
 * window per route and caller instead of each allowing the whole limit. One statement per counted request; a
 * database failure fails the request (503), as the request itself would have.
 */
export function createRateLimitStore(deps: { db: Db; clock: Clock; logger: Log }): FastifyRateLimitStoreCtor {
  let lastPurge = deps.clock.now().getTime();

  function purgeNowAndThen(now: Date): void {
    if (now.getTime() - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = now.getTime();
    deleteEndedHitCounts(deps.db, now).catch((err: unknown) => deps.logger.warn({ err }, 'could not purge ended rate-limit windows'));
  }

  class PostgresRateLimitStore implements FastifyRateLimitStore {
    /** The plugin constructs the root store with its options; each route's store is a child with the route as prefix. */
    constructor(_options: unknown, private readonly prefix = '') {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const now = deps.clock.now();
      purgeNowAndThen(now);
      // Shared messages: the counts of many concurrent requests travel in one round trip (coalescer.ts). Each adds
      // one, whatever else its message holds; a message rolled back is sent again statement by statement, exactly.
      asServerStatements(deps.db, (q) => countHit(q, { key: this.prefix + key, now, windowMs: timeWindow })).then(
        (count) => callback(null, { current: count.hits, ttl: Math.max(0, count.windowEndsAt.getTime() - now.getTime()) }),
        (error: Error) => callback(error),
      );
    }

    child(routeOptions: unknown): FastifyRateLimitStore {
      const { method = '', url = '' } = routeOptionsSchema.parse(routeOptions).routeInfo;
      return new PostgresRateLimitStore(routeOptions, `${[method].flat().join(',')} ${url} `);
    }
  }
  return PostgresRateLimitStore;
}
