import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import type { App } from '../../types.js';

/** Upper bounds of the request-duration histogram, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  count: number;
  sum: number;
  buckets: number[];
}

function label(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/**
 * Prometheus metrics at `/metrics`: request counts and durations per route and status (by route pattern, so
 * cardinality stays bounded), and task counts per status read from the database at scrape time.
 */
export function registerMetrics(app: App, deps: Deps): void {
  const series = new Map<string, Series>();

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    const s = series.get(key) ?? { count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
    const seconds = reply.elapsedTime / 1000;
    s.count += 1;
    s.sum += seconds;
    BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) s.buckets[i]! += 1;
    });
    series.set(key, s);
  });

  app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (_request, reply) => {
    const lines = [
      '# HELP http_request_duration_seconds HTTP request durations by method, route and status.',
      '# TYPE http_request_duration_seconds histogram',
    ];
    for (const [key, s] of series) {
      const [method, route, status] = key.split(' ');
      const labels = `method="${label(method!)}",route="${label(route!)}",status="${status}"`;
      BUCKETS.forEach((bound, i) => lines.push(`http_request_duration_seconds_bucket{${labels},le="${bound}"} ${s.buckets[i]}`));
      lines.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
      lines.push(`http_request_duration_seconds_sum{${labels}} ${s.sum}`);
      lines.push(`http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
    const { rows } = await deps.db.query<{ status: string; count: number }>(
      `select status, count(*)::int as count from video_generation_task_statuses group by status`,
    );
    lines.push('# HELP simplevideo_tasks Tasks by status.', '# TYPE simplevideo_tasks gauge');
    for (const row of rows) lines.push(`simplevideo_tasks{status="${label(row.status)}"} ${row.count}`);
    const mem = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
    return reply.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });
}
