/** Retry timing for the sync and archive passes: pure functions, unit-tested beside this file. */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns a number in [0, 1); injectable so tests are exact. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so retries of many tasks that failed
 * together spread out, yet never come back sooner than half the step. A provider's Retry-After is a floor.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions & { retryAfterMs?: number | undefined }): number {
  const random = options.random ?? Math.random;
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  const delay = Math.round(step / 2 + (random() * step) / 2);
  return Math.max(delay, options.retryAfterMs ?? 0);
}

/** Transient provider failures: 5 s, 10 s, 20 s … up to 10 min. */
export const SYNC_BACKOFF = { baseMs: 5_000, maxMs: 600_000 } as const;
/** Failed archive copies: 1 min, 2 min … up to 6 h (providers keep results for about 30 days). */
export const ARCHIVE_BACKOFF = { baseMs: 60_000, maxMs: 6 * 3600_000 } as const;

/**
 * When to ask again about a task that is still running: every 5 s at first, then gently less often as the task
 * ages (a tenth of its age), at most once a minute. Long tasks cost fewer provider calls; short ones finish fast.
 */
export function pollDelayMs(ageMs: number): number {
  return Math.min(60_000, Math.max(5_000, Math.round(ageMs / 10)));
}
