import { describe, expect, it } from 'vitest';
import { inlineParams } from './inline-params.js';

describe('inlineParams', () => {
  it('inlines each kind of value as a literal', () => {
    const at = new Date('2026-11-26T12:00:00.000Z');
    expect(inlineParams('select $1, $2, $3, $4, $5::bigint', ['a', 42, true, at, null])).toBe(
      "select 'a', 42, true, '2026-11-26T12:00:00.000Z', NULL::bigint",
    );
  });

  it('escapes quotes and backslashes so a value stays a value', () => {
    expect(inlineParams('select $1', ["x'); drop table users; --"])).toBe("select 'x''); drop table users; --'");
    // pg marks a literal with backslashes as an E'' string (with a leading space) and doubles them.
    expect(inlineParams('select $1', ['a\\b'])).toBe("select  E'a\\\\b'");
  });

  it('tells $1 from $10 and leaves placeholders inside quoted literals alone', () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlineParams("select $10, $1, '$2 stays', 'it''s $3'", params)).toBe("select 10, 1, '$2 stays', 'it''s $3'");
  });

  it.each([
    ['a missing parameter', 'select $2', [1]],
    ['an object', 'select $1', [{ a: 1 }]],
    ['NaN', 'select $1', [Number.NaN]],
    ['a dollar-quoted body', 'select $$ $1 $$', [1]],
  ])('refuses %s', (_name, sql, params) => {
    expect(() => inlineParams(sql, params)).toThrow();
  });
});
