import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser, TokenService } from '../auth/tokens.js';
import type { AccountGate } from '../domain/account-gate.js';
import { errors } from '../errors.js';
import { readSupabaseAccessToken } from './supabase-cookie.js';

export const SESSION_COOKIE = 'sv_session';
/** The refresh token's cookie: sent only to the auth routes, and only from our own pages (SameSite=Strict). */
export const REFRESH_COOKIE = 'sv_refresh';
const REFRESH_COOKIE_PATH = '/api/auth';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireUser` hooks on authenticated routes. */
    user: AuthenticatedUser | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The access token (gone from the browser when it expires) and the refresh token (kept while the session may be). */
export function setSessionCookies(
  reply: FastifyReply,
  cookies: { accessToken: string; accessMaxAge: number; refreshToken: string; refreshMaxAge: number; secure: boolean },
): void {
  const { secure } = cookies;
  reply.setCookie(SESSION_COOKIE, cookies.accessToken, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: cookies.accessMaxAge });
  reply.setCookie(REFRESH_COOKIE, cookies.refreshToken, { httpOnly: true, sameSite: 'strict', secure, path: REFRESH_COOKIE_PATH, maxAge: cookies.refreshMaxAge });
}

export function clearSessionCookies(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: REFRESH_COOKIE_PATH });
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/**
 * A cookie is sent by the browser on its own, so a state-changing request that relies on one must come from our
 * own pages: refuse it when the browser says it is cross-site. SameSite=Lax already keeps cookies off most
 * cross-site requests; this also covers same-site subdomains and old browsers.
 */
function isForeignOrigin(request: FastifyRequest, allowedOrigins: readonly string[]): boolean {
  if (SAFE_METHODS.has(request.method)) return false;
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (!origin) return false;
  const own = `${request.protocol}://${request.host}`;
  return origin !== own && !allowedOrigins.includes(origin);
}

export interface SessionOptions {
  tokens: TokenService;
  allowedOrigins: readonly string[];
  /** The name of the Supabase session cookie to read too (`sb-<ref>-auth-token`); set only with SUPABASE_URL. */
  supabaseCookie?: string;
  /**
   * Asked by `requireUser` once a token verified: false refuses the user with the route's 401 (a `sub` unknown
   * to auth.users, or with our own accounts a session that has ended). See domain/account-gate.ts and
   * domain/live-sessions.ts.
   */
  admit: AccountGate;
}

/** The session tokens the request's cookies carry, ours first. */
function cookieTokens(request: FastifyRequest, options: SessionOptions): string[] {
  const ours = request.cookies[SESSION_COOKIE];
  const supabase = options.supabaseCookie ? readSupabaseAccessToken(request.cookies, options.supabaseCookie) : undefined;
  return [ours, supabase].filter((token): token is string => Boolean(token));
}

/**
 * The request's user from `Authorization: Bearer`, else from a session cookie (ours, or Supabase's when
 * configured); null when there is none or it is invalid.
 */
export async function readUser(request: FastifyRequest, options: SessionOptions): Promise<AuthenticatedUser | null> {
  const bearer = bearerToken(request);
  if (bearer) return options.tokens.verify(bearer);
  const tokens = cookieTokens(request, options);
  if (tokens.length === 0) return null;
  if (isForeignOrigin(request, options.allowedOrigins)) throw errors.forbiddenOrigin();
  // A stale cookie of ours (say, from before the switch to Supabase Auth) must not hide a valid Supabase one.
  for (const token of tokens) {
    const user = await options.tokens.verify(token);
    if (user) return user;
  }
  return null;
}

/**
 * The refresh token of a request: `fromBody` when the client sent one, else the `sv_refresh` cookie, which (as any
 * cookie) is refused for a state change from another site.
 */
export function readRefreshToken(request: FastifyRequest, options: SessionOptions, fromBody?: string): string | undefined {
  if (fromBody) return fromBody;
  const cookie = request.cookies[REFRESH_COOKIE];
  if (cookie && isForeignOrigin(request, options.allowedOrigins)) throw errors.forbiddenOrigin();
  return cookie || undefined;
}

/** A preHandler that admits signed-in users only, answering the route's 401 otherwise. */
export function requireUser(options: SessionOptions, unauthorized = errors.unauthorized) {
  return async (request: FastifyRequest): Promise<void> => {
    const user = await readUser(request, options);
    if (!user || !(await options.admit(user))) throw unauthorized();
    request.user = user;
  };
}

/** The signed-in user of a route guarded by `requireUser`. */
export function currentUser(request: FastifyRequest): AuthenticatedUser {
  if (!request.user) throw errors.unauthorized();
  return request.user;
}
