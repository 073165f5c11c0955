import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../../../errors.js';

/** Supabase Auth's error codes (internal/api/apierrors/errorcode.go) and messages, for what /auth/v1 refuses. */
export const authErrors = {
  validation: (message: string) => new AppError(400, 'validation_failed', message),
  invalidCredentials: () => new AppError(400, 'invalid_credentials', 'Invalid login credentials'),
  unsupportedGrant: () => new AppError(400, 'invalid_credentials', 'unsupported_grant_type'),
  refreshTokenNotFound: () => new AppError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'),
  noAuthorization: () => new AppError(401, 'no_authorization', 'This endpoint requires a valid Bearer token'),
  badJwt: () => new AppError(403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature, token is expired or invalid'),
  /** auth-js reads this code as "no session" and signs the client out locally. */
  sessionNotFound: () => new AppError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist'),
  linkExpired: () => new AppError(403, 'otp_expired', 'Email link is invalid or has expired'),
  codeExpired: () => new AppError(403, 'otp_expired', 'Token has expired or is invalid'),
  weakPassword: (message: string) => new AppError(422, 'weak_password', message, { reasons: ['length'] }),
  emailExists: () => new AppError(422, 'email_exists', 'A user with this email address has already been registered'),
  phoneDisabled: (message: string, status = 400) => new AppError(status, 'phone_provider_disabled', message),
  providerNotEnabled: () => new AppError(400, 'validation_failed', 'Unsupported provider: provider is not enabled'),
  mfaDisabled: (code: string, kind: string) => new AppError(422, code, `MFA enroll is disabled for ${kind}`),
  pkceNotOffered: () => new AppError(400, 'validation_failed', 'The PKCE flow is not offered by this server: use flowType "implicit"'),
  notOffered: () => new AppError(404, 'feature_disabled', 'This part of Supabase Auth’s API is not offered by this server'),
  emailRateLimit: (retryAfterSeconds: number) =>
    new AppError(429, 'over_email_send_rate_limit', 'Email rate limit exceeded', { retry_after_seconds: retryAfterSeconds }),
} as const;

/** Our own failures as Supabase Auth words the same thing; anything not listed keeps its status and code. */
const TRANSLATED: Record<string, () => AppError> = {
  invalid_credentials: authErrors.invalidCredentials,
  invalid_refresh_token: authErrors.refreshTokenNotFound,
  unauthorized: authErrors.noAuthorization,
  invalid_token: authErrors.linkExpired,
  email_taken: authErrors.emailExists,
};
const RATE_LIMITED = new Set(['rate_limited', 'too_many_login_attempts']);

function supabaseError(error: AppError): AppError {
  if (RATE_LIMITED.has(error.code)) return new AppError(429, 'over_request_rate_limit', 'Request rate limit reached', error.details);
  if (error.code === 'validation_error') return authErrors.validation(error.message);
  return TRANSLATED[error.code]?.() ?? error;
}

/** Where Supabase Auth's errors changed shape: `{code, message}` from this API version on, `{code: status, error_code, msg}` before. */
const API_VERSION_2024 = '2024-01-01';
const VERSION = /^\d{4}-\d{2}-\d{2}$/;

function apiVersionOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-supabase-api-version'];
  return typeof header === 'string' && VERSION.test(header) ? header : undefined;
}

/** The body of an error in the shape the client's API version expects (Supabase Auth's errors.go). */
export function sendAuthError(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  const { status, code, message, details } = supabaseError(error);
  const retryAfter = details?.retry_after_seconds;
  if (status === 429 && retryAfter) reply.header('retry-after', String(retryAfter));
  reply.header('x-sb-error-code', code);
  const weak = Array.isArray(details?.reasons) && { weak_password: { reasons: details.reasons } };
  const version = apiVersionOf(request);
  if (version && version >= API_VERSION_2024) {
    reply.header('x-supabase-api-version', API_VERSION_2024);
    return reply.status(status).send({ code, message, ...weak });
  }
  return reply.status(status).send({ code: status, error_code: code, msg: message, ...weak });
}

/** The error handler of /auth/v1: Supabase Auth's shapes; unknown failures are logged and answered 500 unexpected_failure. */
export function authErrorHandler(error: FastifyError | AppError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof AppError) return sendAuthError(request, reply, error);
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const message = hasZodFastifySchemaValidationErrors(fastifyError)
      ? fastifyError.validation.map((v) => `${v.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'body'}: ${v.message}`).join('; ')
      : fastifyError.message;
    return sendAuthError(request, reply, authErrors.validation(message));
  }
  const status = fastifyError.statusCode;
  if (status === 429) return sendAuthError(request, reply, new AppError(429, 'rate_limited', 'Too many requests'));
  if (status !== undefined && status >= 400 && status < 500) {
    return sendAuthError(request, reply, new AppError(status, status === 413 ? 'request_entity_too_large' : 'bad_json', fastifyError.message));
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendAuthError(request, reply, new AppError(500, 'unexpected_failure', 'Unexpected failure, please check server logs for more information'));
}
