import { errors } from '../../../errors.js';

export interface StreamSlots {
  /** Takes a slot for one of `userId`'s streams, or throws 429 past either cap; returns its release (idempotent). */
  claim(userId: string): () => void;
}

/** Open event streams counted per user and in all, each capped: a stream holds a socket and a subscription. */
export function createStreamSlots(limits: { perUser: number; total: number }): StreamSlots {
  const perUser = new Map<string, number>();
  let total = 0;
  return {
    claim(userId) {
      const mine = perUser.get(userId) ?? 0;
      if (mine >= limits.perUser) throw errors.tooManyStreams('user');
      if (total >= limits.total) throw errors.tooManyStreams('server');
      perUser.set(userId, mine + 1);
      total += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total -= 1;
        const left = (perUser.get(userId) ?? 1) - 1;
        if (left === 0) perUser.delete(userId);
        else perUser.set(userId, left);
      };
    },
  };
}
