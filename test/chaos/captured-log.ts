import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Log } from '../../src/log.js';

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger whose lines the test reads back: what an operator would see. */
export function capturedLog(): { logger: Log; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** pino's numeric levels. */
export const LEVEL = { warn: 40, error: 50 } as const;
