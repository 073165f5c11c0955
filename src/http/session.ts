import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser, TokenService } from '../auth/tokens.js';
import type { AccountGate } from '../domain/account-gate.js';
import { errors } from '../errors.js';
import { readSupabaseAccessToken } from './supabase-cookie.js';

export const SESSION_COOKIE = 'sv_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireUser` hooks on authenticated routes. */
    user: AuthenticatedUser | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function setSessionCookie(reply: FastifyReply, token: string, maxAgeSeconds: number, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: maxAgeSeconds });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
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
   * to auth.users). See domain/account-gate.ts.
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
