import { describe, expect, it } from 'vitest';
import { createStreamSlots } from './stream-slots.js';

describe('createStreamSlots', () => {
  it('caps each user and the whole, and frees a slot once however often it is released', () => {
    const slots = createStreamSlots({ perUser: 2, total: 3 });
    const a1 = slots.claim('a');
    slots.claim('a');
    expect(() => slots.claim('a')).toThrow(expect.objectContaining({ status: 429, code: 'too_many_streams' }));
    slots.claim('b');
    expect(() => slots.claim('c')).toThrow(/Too many event streams open; try again later/);
    a1();
    a1();
    slots.claim('c');
    expect(() => slots.claim('d')).toThrow(expect.objectContaining({ status: 429 }));
    expect(() => slots.claim('a')).toThrow(expect.objectContaining({ status: 429 }));
  });
});
