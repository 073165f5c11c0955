import { createHash } from 'node:crypto';
import type { AuthenticatedUser } from './tokens.js';

/** Verified tokens kept in memory: most requests carry a token already seen, and signature checks are async. */
export interface VerifiedCache {
  /** The user of a token verified before and not yet expired at `nowSeconds`. */
  get(token: string, nowSeconds: number): AuthenticatedUser | undefined;
  /** Remembers a token that just verified, until its `exp`. */
  set(token: string, user: AuthenticatedUser, exp: number): void;
}

// Keyed by the token's SHA-256: every key is small whatever the token's size, and no bearer token is held in memory.
const keyOf = (token: string) => createHash('sha256').update(token).digest('base64url');

export function createVerifiedCache(size = 10_000): VerifiedCache {
  const entries = new Map<string, { user: AuthenticatedUser; exp: number }>();
  return {
    get(token, nowSeconds) {
      const key = keyOf(token);
      const known = entries.get(key);
      if (known && known.exp > nowSeconds) return known.user;
      entries.delete(key);
      return undefined;
    },
    set(token, user, exp) {
      // Oldest first out: a Map iterates in insertion order.
      if (entries.size >= size) entries.delete(entries.keys().next().value!);
      entries.set(keyOf(token), { user, exp });
    },
  };
}
