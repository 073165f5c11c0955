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

export function createTokenService(options: { secret: string; ttlSeconds: number; now?: () => number }): TokenService {
  const key = new TextEncoder().encode(options.secret);
  const nowSeconds = () => Math.floor((options.now?.() ?? Date.now()) / 1000);
  return {
    async issue(user) {
      const iat = nowSeconds();
      const token = await new SignJWT({ email: user.email, role: 'authenticated' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setAudience('authenticated')
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlSeconds)
        .sign(key);
      return { token, expiresIn: options.ttlSeconds };
    },
    async verify(token) {
      try {
        // Only HS256: `alg: none` and asymmetric-confusion tokens are refused by jose before any claim is read.
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          audience: 'authenticated',
          currentDate: new Date(nowSeconds() * 1000),
        });
        const claims = claimsSchema.safeParse(payload);
        return claims.success ? { id: claims.data.sub, email: claims.data.email } : null;
      } catch (error) {
        if (error instanceof joseErrors.JOSEError) return null;
        throw error;
      }
    },
  };
}
