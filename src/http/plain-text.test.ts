import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { plainText } from './plain-text.js';

const prompt = plainText('prompt', z.string().trim().min(1).max(10));

describe('plainText', () => {
  it.each(['a\u0000b', 'a\u0007', '\u001b[31mred', 'a\u007f', 'a\u0085b', 'a\u009bb'])('refuses control characters in %j', (value) => {
    const result = prompt.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('prompt must not contain control characters');
  });

  it('keeps tab and newline, makes CRLF and CR newlines, and composes to NFC', () => {
    expect(prompt.parse('a\tb\r\nc\rd')).toBe('a\tb\nc\nd');
    expect(prompt.parse('Cafe\u0301')).toBe('Caf\u00e9');
  });

  it('applies the field’s own rules afterwards', () => {
    expect(prompt.parse('  fox  ')).toBe('fox');
    expect(prompt.safeParse('   ').success).toBe(false);
    expect(prompt.safeParse('x'.repeat(11)).success).toBe(false);
  });
});
