import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { countUnfinishedTasks } from '../../../db/queries/tasks.js';
import type { Deps } from '../../../deps.js';
import { errors } from '../../../errors.js';
import { bearerMatches } from '../../bearer-secret.js';
import type { App } from '../../types.js';

/**
 * Prometheus metrics at `/metrics`: request durations per route and status (by route pattern, so cardinality stays
 * bounded), the process's own figures, and the unfinished tasks per status (the queue). The counts come from one
 * aggregate query, run at most once per METRICS_TASKS_CACHE_MS however often anyone scrapes; METRICS_TOKEN, when set,
 * closes the page.
 */
export function registerMetrics(app: App, deps: Deps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request durations by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const readTaskCounts = cachedTaskCounts(deps);
  new Gauge({
    name: 'simplevideo_tasks',
    help: 'Unfinished tasks by status (pending, processing): the queue.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await readTaskCounts()) this.set({ status: row.status }, row.count);
    },
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    durations.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });

  const token = deps.config.METRICS_TOKEN;
  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) throw errors.unauthorized();
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/** The task counts, read at most once per METRICS_TASKS_CACHE_MS; concurrent scrapes share one read. */
function cachedTaskCounts(deps: Deps): () => Promise<Array<{ status: string; count: number }>> {
  let last: { at: number; counts: Promise<Array<{ status: string; count: number }>> } | undefined;
  return () => {
    const now = Date.now();
    if (last === undefined || now - last.at >= deps.config.METRICS_TASKS_CACHE_MS) {
      const counts = countUnfinishedTasks(deps.db);
      // A failed read is not kept: the next scrape tries again.
      counts.catch(() => (last = undefined));
      last = { at: now, counts };
    }
    return last.counts;
  };
}
