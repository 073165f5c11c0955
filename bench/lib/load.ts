import autocannon from 'autocannon';

export interface LoadResult {
  name: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
  ok2xx: number;
  /** 2xx answers during the warm-up too (requests that changed state, for the accounting check). */
  warmup2xx: number;
  warmupNon2xx: number;
  statusCodes: Record<string, number>;
}

export interface LoadSpec {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** Headers per connection: connection i gets headersFor(i). */
  headersFor?: (connection: number) => Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

function run(spec: LoadSpec, seconds: number): Promise<autocannon.Result> {
  let connection = 0;
  return autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    connections: spec.connections,
    duration: seconds,
    ...(spec.body === undefined ? {} : { body: spec.body }),
    setupClient: (client) => {
      const headers = { ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }), ...(spec.headersFor?.(connection++) ?? {}) };
      if (spec.body === undefined) client.setHeaders(headers);
      else client.setHeadersAndBody(headers, spec.body);
    },
  });
}

/** A warm-up run (discarded), then the measured run. */
export async function load(spec: LoadSpec): Promise<LoadResult> {
  const warm = spec.warmupSeconds > 0 ? await run(spec, spec.warmupSeconds) : undefined;
  const r = await run(spec, spec.seconds);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  return {
    name: spec.name,
    rps: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    ok2xx: r['2xx'],
    warmup2xx: warm?.['2xx'] ?? 0,
    warmupNon2xx: warm?.non2xx ?? 0,
    statusCodes,
  };
}
