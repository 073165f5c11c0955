import type { LogFn } from 'pino';

/** The logging the domain and jobs need: pino's, Fastify's request logger, or a silent one in tests. */
export interface Log {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
