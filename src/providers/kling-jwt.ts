import { SignJWT } from 'jose';

/** Token lifetime Kling's docs use, and how close to expiry we stop handing a cached token out. */
const LIFETIME_SECONDS = 1800;
const RENEW_BEFORE_SECONDS = 300;
/** `nbf` a little in the past so a provider clock slightly behind ours does not answer 1003 (not yet valid). */
const NOT_BEFORE_SKEW_SECONDS = 5;

/** Hands out the Bearer JWT for Kling's API, signing a new one only when the cached one is near expiry. */
export interface KlingTokenSource {
  /** A token valid for at least ~5 more minutes. */
  get(): Promise<string>;
  /** Drops the cached token, e.g. after Kling answered 401, so the next `get` signs afresh. */
  invalidate(): void;
}

/** Signs `{iss: accessKey, exp: now+1800, nbf: now-5}` with HS256 and the secret key (providers.md §2.2). */
export function createKlingTokenSource(options: { accessKey: string; secretKey: string; now: () => number }): KlingTokenSource {
  const secret = new TextEncoder().encode(options.secretKey);
  // The promise is cached, not the string, so concurrent callers share one signing.
  let cached: { token: Promise<string>; expiresAt: number } | undefined;

  function sign(nowSeconds: number): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(options.accessKey)
      .setExpirationTime(nowSeconds + LIFETIME_SECONDS)
      .setNotBefore(nowSeconds - NOT_BEFORE_SKEW_SECONDS)
      .sign(secret);
  }

  return {
    get() {
      const nowSeconds = Math.floor(options.now() / 1000);
      if (!cached || cached.expiresAt - nowSeconds < RENEW_BEFORE_SECONDS) {
        const token = sign(nowSeconds);
        cached = { token, expiresAt: nowSeconds + LIFETIME_SECONDS };
        // A failed signing must not stay cached.
        token.catch(() => {
          if (cached?.token === token) cached = undefined;
        });
      }
      return cached.token;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
