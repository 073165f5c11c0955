import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import { errors } from '../errors.js';
import { verifyWithCache, type TokenService } from './tokens.js';

export interface SupabaseTokenOptions {
  /** The project's URL, e.g. https://<ref>.supabase.co, without a trailing slash. */
  supabaseUrl: string;
  /** The project's legacy HS256 JWT secret, for projects whose tokens are still signed with it. */
  legacySecret?: string;
  /** Deadline of one JWKS fetch. */
  jwksTimeoutMs?: number;
  /** The least time between two JWKS fetches that an unknown `kid` triggers (jose's default, 30 s). */
  jwksCooldownMs?: number;
  now?: () => number;
}

/** The key set could not be had: unreachable, too slow, or not a 200. */
class KeySetUnavailableError extends Error {
  override name = 'KeySetUnavailableError';
}

/** jose's fetch, with every way of not getting the key set turned into one error (jose lets a network error through as is). */
const fetchKeySet: FetchImplementation = async (url, init) => {
  const response = await fetch(url, init).catch((cause: unknown) => {
    throw new KeySetUnavailableError(`JWKS fetch failed: ${url}`, { cause });
  });
  if (response.status !== 200) throw new KeySetUnavailableError(`JWKS answered ${response.status}: ${url}`);
  return response;
};

/**
 * Verifies access tokens as Supabase Auth issues them: ES256 or RS256 with a key of the project's JWKS (fetched,
 * cached, fetched again when a token names an unknown `kid`), or HS256 with the legacy secret when one is given.
 * Issues nothing: users sign up and in with Supabase.
 */
export function createSupabaseTokenVerifier(options: SupabaseTokenOptions): TokenService {
  const issuer = `${options.supabaseUrl}/auth/v1`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
    timeoutDuration: options.jwksTimeoutMs ?? 5000,
    ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
    [customFetch]: fetchKeySet,
  });
  const legacyKey =
    options.legacySecret === undefined
      ? undefined
      : crypto.subtle.importKey('raw', new TextEncoder().encode(options.legacySecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  // jose checks the header's alg against this list before asking for a key, and the key's type against the alg
  // after: HS256 only ever meets the legacy secret, ES256/RS256 only a JWKS key, and `none` nothing.
  const algorithms = legacyKey ? ['ES256', 'RS256', 'HS256'] : ['ES256', 'RS256'];
  const keyFor: JWTVerifyGetKey = async (header, token) => (header.alg === 'HS256' && legacyKey ? legacyKey : jwks(header, token));
  const check = async (token: string, currentDate: Date) => {
    try {
      const { payload } = await jwtVerify(token, keyFor, { algorithms, issuer, audience: 'authenticated', requiredClaims: ['exp', 'sub'], currentDate });
      return payload;
    } catch (error) {
      // Not the token's fault: answering 401 would tell a signed-in user their session is gone.
      if (error instanceof KeySetUnavailableError || error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
        throw errors.identityProviderUnavailable(error);
      }
      throw error;
    }
  };
  return { verify: verifyWithCache(check, () => options.now?.() ?? Date.now()) };
}
