import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Ids a proxy or a client may hand us: short, and nothing a log line or a header could be bent with. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The caller's `x-request-id` when it is a safe id (so one id follows a request across services), else our own. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
