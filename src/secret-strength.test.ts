import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { estimatedEntropyBits } from './secret-strength.js';

describe('estimatedEntropyBits', () => {
  it('scores nothing for a repeated character and little for a short pattern', () => {
    expect(estimatedEntropyBits('x'.repeat(64))).toBe(0);
    expect(estimatedEntropyBits('ab'.repeat(32))).toBe(64);
    expect(estimatedEntropyBits('')).toBe(0);
  });

  it('scores a generated secret high', () => {
    expect(estimatedEntropyBits(randomBytes(32).toString('hex'))).toBeGreaterThan(200);
    expect(estimatedEntropyBits(randomBytes(32).toString('base64'))).toBeGreaterThan(200);
  });
});
