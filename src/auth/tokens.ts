import { jwtVerify, SignJWT, errors as joseErrors, type JWTPayload } from 'jose';
import { z } from 'zod';
import { errors } from '../errors.js';
import { createVerifiedCache } from './verified-cache.js';

/**
 * The claims of an access token, in Supabase Auth's shape (our own tokens use it too). `email` is empty or
 * absent for users who signed up with a phone number.
 */
export const accessTokenClaims = z.object({
  sub: z.uuid(),
  email: z.string().nullish().transform((v) => v ?? ''),
  role: z.literal('authenticated'),
  aud: z.union([z.literal('authenticated'), z.array(z.string()).refine((a) => a.includes('authenticated'))]),
  exp: z.number(),
});

export interface AuthenticatedUser {
  id: string;
  email: string;
}

export interface TokenService {
  /**
   * Signs an access token for one of our own accounts. Absent when another identity provider (Supabase Auth)
   * issues the tokens and our signup and login are closed.
   */
  issue?(user: AuthenticatedUser): Promise<{ token: string; expiresIn: number }>;
  /** The token's user, or null for anything not a valid, unexpired access token of the identity provider. */
  verify(token: string): Promise<AuthenticatedUser | null>;
}

/** The service's `issue`, or the 403 that signup and login answer when accounts are Supabase Auth's. */
export function issuerOf(tokens: TokenService): NonNullable<TokenService['issue']> {
  if (!tokens.issue) throw errors.accountsManagedBySupabase();
  return tokens.issue.bind(tokens);
}

/**
 * The end both verifiers share: a token verified before and not yet expired answers from memory; otherwise `check`
 * (jose's jwtVerify with the identity provider's keys and rules) runs, the claims must have Supabase's shape, and
 * the user is remembered until `exp`. A JOSE failure means "no user"; anything else is thrown.
 */
export function verifyWithCache(
  check: (token: string, currentDate: Date) => Promise<JWTPayload>,
  nowMs: () => number,
): TokenService['verify'] {
  const verified = createVerifiedCache();
  return async (token) => {
    const known = verified.get(token, Math.floor(nowMs() / 1000));
    if (known) return known;
    try {
      const claims = accessTokenClaims.safeParse(await check(token, new Date(nowMs())));
      if (!claims.success) return null;
      const user = { id: claims.data.sub, email: claims.data.email };
      verified.set(token, user, claims.data.exp);
      return user;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  };
}

/** Our own accounts' tokens: HS256 with JWT_SECRET (a Supabase project's legacy secret makes its tokens valid too). */
export function createTokenService(options: { secret: string; ttlSeconds: number; now?: () => number }): TokenService {
  const secret = new TextEncoder().encode(options.secret);
  // Imported once: jose would import a raw secret again on every call.
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const nowMs = () => options.now?.() ?? Date.now();

  return {
    async issue(user) {
      const iat = Math.floor(nowMs() / 1000);
      const token = await new SignJWT({ email: user.email, role: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setAudience('authenticated')
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .sign(await key);
      return { token, expiresIn: options.ttlSeconds };
    },
    // Only HS256: `alg: none` and asymmetric-confusion tokens are refused by jose before any claim is read.
    verify: verifyWithCache(
      async (token, currentDate) => (await jwtVerify(token, await key, { algorithms: ['HS256'], audience: 'authenticated', currentDate })).payload,
      nowMs,
    ),
  };
}
