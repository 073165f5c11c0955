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

/** Ours also name the session (sign-in) they belong to, in Supabase's claim: a token without one is not ours. */
const ownAccessTokenClaims = accessTokenClaims.extend({ session_id: z.uuid() });

type ClaimsSchema = z.ZodType<z.output<typeof accessTokenClaims> & { session_id?: string }>;

export interface AuthenticatedUser {
  id: string;
  email: string;
  /** The session (sign-in) the access token belongs to, from its `session_id` claim: always set on our own tokens. */
  sessionId?: string;
}

/** How the session was signed in to, in Supabase Auth's `amr` claim: `password`, `otp` (a mailed code or link)… */
export interface AmrEntry {
  method: string;
  /** When, in seconds since the epoch. */
  timestamp: number;
}

/** What an access token tells beside its user and session, as Supabase Auth's tokens do. */
export interface TokenExtras {
  /** How the session began; unset: `password` now. A refresh carries `token_refresh` (we keep no record of it). */
  amr?: AmrEntry[];
  /** The user's metadata (auth.users.raw_user_meta_data); unset: `{}`. */
  userMetadata?: Record<string, unknown>;
}

export interface TokenService {
  /**
   * Signs an access token for one of our own accounts, in the session `sessionId`, with Supabase Auth's claims (the
   * same token serves /api and /auth/v1). Absent when another identity provider (Supabase Auth) issues the tokens
   * and our signup and login are closed.
   */
  issue?(user: AuthenticatedUser, sessionId: string, extras?: TokenExtras): Promise<{ token: string; expiresIn: number; expiresAt: number }>;
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
 * (jose's jwtVerify with the identity provider's keys and rules) runs, the claims must have `claims`' shape
 * (Supabase's), and the user is remembered until `exp`. A JOSE failure means "no user"; anything else is thrown.
 */
export function verifyWithCache(
  check: (token: string, currentDate: Date) => Promise<JWTPayload>,
  nowMs: () => number,
  claimsSchema: ClaimsSchema = accessTokenClaims,
): TokenService['verify'] {
  const verified = createVerifiedCache();
  return async (token) => {
    const known = verified.get(token, Math.floor(nowMs() / 1000));
    if (known) return known;
    try {
      const claims = claimsSchema.safeParse(await check(token, new Date(nowMs())));
      if (!claims.success) return null;
      const { sub: id, email, session_id: sessionId } = claims.data;
      const user = { id, email, ...(sessionId && { sessionId }) };
      verified.set(token, user, claims.data.exp);
      return user;
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  };
}

/**
 * Our own accounts' tokens: HS256 with JWT_SECRET, living `ttlSeconds` (ACCESS_TOKEN_TTL_SECONDS), each naming its
 * session. One without `session_id` (ours from before sessions, or made by another issuer that has the secret) is
 * refused; whether the session it names is still going is the account gate's question (domain/live-sessions.ts).
 * `issuer` is the `iss` claim, `<PUBLIC_URL's origin>/auth/v1` as Supabase Auth's; unset (no PUBLIC_URL), none.
 */
export function createTokenService(options: { secret: string; ttlSeconds: number; issuer?: string; now?: () => number }): TokenService {
  const secret = new TextEncoder().encode(options.secret);
  // Imported once: jose would import a raw secret again on every call.
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  const nowMs = () => options.now?.() ?? Date.now();

  return {
    async issue(user, sessionId, extras = {}) {
      const iat = Math.floor(nowMs() / 1000);
      const exp = iat + options.ttlSeconds;
      const jwt = new SignJWT({
        email: user.email,
        phone: '',
        app_metadata: { provider: 'email', providers: ['email'] },
        user_metadata: extras.userMetadata ?? {},
        role: 'authenticated',
        aal: 'aal1',
        amr: extras.amr ?? [{ method: 'password', timestamp: iat }],
        session_id: sessionId,
        is_anonymous: false,
      })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(user.id)
        .setAudience('authenticated')
        .setIssuedAt(iat)
        .setExpirationTime(exp);
      if (options.issuer) jwt.setIssuer(options.issuer);
      return { token: await jwt.sign(await key), expiresIn: options.ttlSeconds, expiresAt: exp };
    },
    // Only HS256: `alg: none` and asymmetric-confusion tokens are refused by jose before any claim is read.
    verify: verifyWithCache(
      async (token, currentDate) => (await jwtVerify(token, await key, { algorithms: ['HS256'], audience: 'authenticated', currentDate })).payload,
      nowMs,
      ownAccessTokenClaims,
    ),
  };
}
