import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { z } from 'zod';

/** The claims of an access token, in Supabase's shape, so tokens of a Supabase project verify too. */
const claimsSchema = z.object({
  sub: z.uuid(),
  email: z.string(),
  role: z.literal('authenticated'),
  aud: z.union([z.literal('authenticated'), z.array(z.string()).refine((a) => a.includes('authenticated'))]),
  exp: z.number(),
});

export interface AuthenticatedUser {
  id: string;
  email: string;
}

export interface TokenService {
  issue(user: AuthenticatedUser): Promise<{ token: string; expiresIn: number }>;
  /** The token's user, or null for anything not a valid, unexpired HS256 token with our claims. */
  verify(token: string): Promise<AuthenticatedUser | null>;
}

/** Verified tokens kept in memory: most requests carry a token already seen, and HMAC through WebCrypto is async. */
const CACHE_SIZE = 10_000;

export function createTokenService(options: { secret: string; ttlSeconds: number; now?: () => number }): TokenService {
  const secret = new TextEncoder().encode(options.secret);
  // Imported once: jose would import a raw secret again on every call.
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  const verified = new Map<string, { user: AuthenticatedUser; exp: number }>();

  function remember(token: string, user: AuthenticatedUser, exp: number): void {
    if (verified.size >= CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(token, { user, exp });
  }

  return {
    async issue(user) {
      const iat = nowSeconds();
      const token = await new SignJWT({ email: user.email, role: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setAudience('authenticated')
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .sign(await key);
      return { token, expiresIn: options.ttlSeconds };
    },
    async verify(token) {
      const known = verified.get(token);
      if (known && known.exp > nowSeconds()) return known.user;
      verified.delete(token);
      try {
        // Only HS256: `alg: none` and asymmetric-confusion tokens are refused by jose before any claim is read.
        const { payload } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          audience: 'authenticated',
          currentDate: new Date(nowSeconds() * 1000),
        });
        const claims = claimsSchema.safeParse(payload);
        if (!claims.success) return null;
        const user = { id: claims.data.sub, email: claims.data.email };
        remember(token, user, claims.data.exp);
        return user;
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return null;
        throw error;
      }
    },
  };
}
