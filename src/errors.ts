import type { ProviderName } from './providers/video-provider.js';

/**
 * Every failure the API reports, made by the factories below. `message` is the contract's exact text where
 * the contract documents one; `code` is a stable machine-readable name beside it.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const errors = {
  unauthorized: () => new AppError(401, 'unauthorized', 'Unauthorized'),
  /** The contract's wording on the image-to-video endpoints. */
  unauthorizedI2v: () => new AppError(401, 'unauthorized', '认证错误: Invalid user session'),
  invalidCredentials: () => new AppError(401, 'invalid_credentials', 'Invalid email or password'),
  emailTaken: () => new AppError(409, 'email_taken', 'Email already registered'),
  /** A mailed link's token that is unknown, used already, replaced by a newer one or expired: all answer alike. */
  invalidEmailToken: () => new AppError(400, 'invalid_token', 'This link is invalid or has expired; ask for a new one'),
  /** Change password: the current password given is not the account's (403 as for deleting; not 401: the session is fine). */
  wrongPassword: () => new AppError(403, 'wrong_password', 'The current password is incorrect; the password was not changed'),
  /** REQUIRE_EMAIL_CONFIRMATION: generation waits until the address is confirmed; refused before anything is charged. */
  emailNotConfirmed: () =>
    new AppError(403, 'email_not_confirmed', 'Confirm your email address first (see the link we mailed you); nothing was charged'),
  /** The mail could not be handed to the mail server (or mail is off here). */
  mailUnavailable: (cause?: unknown) => new AppError(503, 'mail_unavailable', 'The email could not be sent right now; try again later', undefined, { cause }),
  /** A refresh token that is unknown, already used (its session is then ended), or of a session that is over. */
  invalidRefreshToken: () => new AppError(401, 'invalid_refresh_token', 'Invalid refresh token: sign in again'),
  /** Not one of the caller's sessions (another user's, ended, or never there): all answer alike. */
  sessionNotFound: () => new AppError(404, 'session_not_found', 'Session not found'),
  /** Signup and login when SUPABASE_URL is set: users sign up and in with Supabase Auth, not with us. */
  accountsManagedBySupabase: () =>
    new AppError(403, 'accounts_managed_by_supabase', 'Accounts are managed by Supabase Auth: sign up and sign in through Supabase'),
  /** Deleting an account: the password given is not the account's. 403, not 401: the session itself is fine. */
  accountPasswordWrong: () => new AppError(403, 'wrong_password', 'The password is not correct; the account was not deleted'),
  /** Changing the email address: the password given is not the account's (403, as for deleting). */
  emailChangePasswordWrong: () => new AppError(403, 'wrong_password', 'The password is not correct; the email address was not changed'),
  /** Deleting an account while the provider still works on a task it paid for (or its video is being stored). */
  accountTasksInFlight: (count: number) =>
    new AppError(409, 'tasks_in_flight', 'Some of your videos are still being made; delete the account once they have finished', { tasks: count }),
  /** The identity provider's keys (Supabase's JWKS) could not be fetched, so no token can be checked right now. */
  identityProviderUnavailable: (cause?: unknown) =>
    new AppError(503, 'identity_provider_unavailable', 'Sessions cannot be verified right now; try again shortly', undefined, { cause }),
  /** The product's provider is switched off here (no keys, no simulator): refused before anything is charged. */
  providerUnavailable: (provider: ProviderName) =>
    new AppError(
      503,
      'provider_unavailable',
      `${provider === 'kling' ? "Kling's official API" : '302.ai'} is not available on this service; nothing was charged`,
      { provider },
    ),
  forbiddenOrigin: () => new AppError(403, 'forbidden_origin', 'Cross-site request refused'),
  validation: (message: string, details?: Record<string, unknown>) => new AppError(400, 'validation_error', message, details),
  /** The contract's wording: 缺少必要参数 on image-to-video, `Missing required parameters` on upload-to-r2. */
  missingParameters: (language: 'zh' | 'en') =>
    new AppError(400, 'missing_parameters', language === 'zh' ? '缺少必要参数' : 'Missing required parameters'),
  insufficientCredits: (language: 'zh' | 'en', details: { required: number; balance: number }) =>
    new AppError(400, 'insufficient_credits', language === 'zh' ? '积分不足' : 'Insufficient credits', details),
  idempotencyInProgress: () =>
    new AppError(409, 'idempotency_in_progress', 'A request with this Idempotency-Key is still being processed'),
  idempotencyMismatch: () =>
    new AppError(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request'),
  taskNotFound: () => new AppError(404, 'task_not_found', 'Task not found'),
  subscriptionNotFound: () => new AppError(404, 'subscription_not_found', 'No subscription'),
  notFound: (message = 'Not found') => new AppError(404, 'not_found', message),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError(429, 'rate_limited', 'Too many requests, please slow down', { retry_after_seconds: retryAfterSeconds }),
  /** So many passwords are being checked that this one would wait too long: the caller tries again. */
  passwordCheckBusy: () => new AppError(503, 'auth_busy', 'Too many sign-ins at once; try again in a moment'),
  /**
   * PostgreSQL cannot be reached (restarting, failing over, full). A request whose write was in flight may or may not
   * have taken effect: a generation retried with the same Idempotency-Key returns its outcome, never a second charge.
   */
  databaseUnavailable: (cause?: unknown) =>
    new AppError(503, 'database_unavailable', 'The database is unavailable right now; try again in a few seconds', { retry_after_seconds: 2 }, { cause }),
  /** An account's sign-in attempts since its last success, from every address together, passed LOGIN_ATTEMPT_LIMIT. */
  loginLocked: (retryAfterSeconds: number) =>
    new AppError(429, 'too_many_login_attempts', 'Too many sign-in attempts for this account; try again later', { retry_after_seconds: retryAfterSeconds }),
  /** Event streams open: the user's own (SSE_MAX_STREAMS_PER_USER) or the whole server's (SSE_MAX_STREAMS). */
  tooManyStreams: (scope: 'user' | 'server') =>
    new AppError(
      429,
      'too_many_streams',
      scope === 'user' ? 'Too many event streams open for this account; close one first' : 'Too many event streams open; try again later',
      { retry_after_seconds: 5 },
    ),
  cronForbidden: () => new AppError(401, 'unauthorized', 'Unauthorized'),
  /** The development outbox shows other people's links: only to a browser on the machine the service runs on. */
  devMailLocalOnly: () => new AppError(403, 'local_only', 'The development outbox answers requests from this machine only'),
  /** upload-to-r2 single mode: the caller named a URL the provider did not give for this task. */
  urlMismatch: (message: string) => new AppError(400, 'url_mismatch', message),
  taskNotCompleted: () => new AppError(400, 'task_not_completed', 'The task has no finished video to upload yet'),
  downloadRefused: (message: string) => new AppError(400, 'download_refused', message),
  archiveInProgress: () => new AppError(409, 'archive_in_progress', 'This task is being uploaded right now; try again shortly'),
  /** The contract's wording: `Upload failed: <reason>`. */
  uploadFailed: (reason: string) => new AppError(500, 'upload_failed', reason.startsWith('Upload failed') ? reason : `Upload failed: ${reason}`),
} as const;
