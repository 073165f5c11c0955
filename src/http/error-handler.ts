import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract's message for an unexpected failure of this route (e.g. `Failed to fetch credits`). */
    internalErrorMessage?: string;
    /** Which wording of the contract's validation errors this route uses. */
    language?: 'zh' | 'en';
  }
}

function describeIssues(error: FastifyError): string {
  if (!hasZodFastifySchemaValidationErrors(error)) return error.message;
  return error.validation
    .map((v) => {
      const where = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return where ? `${where}: ${v.message}` : v.message;
    })
    .join('; ');
}

/**
 * Renders every failure as JSON `{error, code}` (plus `details` where useful). Unknown failures are logged with
 * the request id and answered with the route's generic message: internals never reach the client.
 */
export function errorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) {
    if ((error.status === 429 || error.status === 503) && error.details?.retry_after_seconds) reply.header('retry-after', String(error.details.retry_after_seconds));
    // Logged (not as an unhandled error): an operator should see an outage, a client gets only the message.
    if (error.code === 'database_unavailable') request.log.warn({ err: error.cause }, 'database unavailable');
    return reply.status(error.status).send({ error: error.message, code: error.code, ...(error.details && { details: error.details }) });
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return reply.status(400).send({ error: describeIssues(fastifyError), code: 'validation_error' });
  }
  const status = fastifyError.statusCode;
  if (status === 413 || fastifyError.code === 'FST_REQ_FILE_TOO_LARGE' || fastifyError.code === 'FST_FILES_LIMIT' || fastifyError.code === 'FST_PARTS_LIMIT') {
    return reply.status(413).send({ error: 'Request too large', code: 'payload_too_large' });
  }
  if (status === 429) {
    return reply.status(429).send({ error: 'Too many requests, please slow down', code: 'rate_limited' });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, wrong content type): their messages are safe and useful.
    return reply.status(status).send({ error: fastifyError.message, code: (fastifyError.code ?? 'bad_request').toLowerCase() });
  }
  request.log.error({ err: error }, 'unhandled error');
  const message = request.routeOptions.config.internalErrorMessage ?? 'Internal server error';
  return reply.status(500).send({ error: message, code: 'internal_error', request_id: request.id });
}
