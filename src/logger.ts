import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

/** JSON logs; request logs carry the request id as `reqId`. Secrets never reach them. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], remove: true },
  });
}
