import { describe, expect, it } from 'vitest';
import { backoffDelayMs, pollDelayMs, SYNC_BACKOFF } from './backoff.js';

describe('backoffDelayMs', () => {
  const fixed = (r: number) => ({ ...SYNC_BACKOFF, random: () => r });

  it.each([
    [0, 0, 2_500],
    [0, 0.999, 4_998],
    [1, 0, 5_000],
    [3, 0.5, 30_000],
    [20, 0, 300_000],
    [20, 0.999, 599_700],
  ])('attempt %i with random %d waits %i ms', (attempt, r, expected) => {
    expect(backoffDelayMs(attempt, fixed(r))).toBe(expected);
  });

  it('honours a longer Retry-After', () => {
    expect(backoffDelayMs(0, { ...fixed(0), retryAfterMs: 30_000 })).toBe(30_000);
    expect(backoffDelayMs(5, { ...fixed(0), retryAfterMs: 1_000 })).toBe(80_000);
  });
});

describe('pollDelayMs', () => {
  it.each([
    [0, 5_000],
    [100_000, 10_000],
    [3600_000, 60_000],
  ])('a task %i ms old is asked again after %i ms', (age, expected) => {
    expect(pollDelayMs(age)).toBe(expected);
  });
});
