/** At most `limit` holders at once; the rest wait in order. Bounds concurrent calls to one provider, or hashes. */
export interface Semaphore {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Callers waiting for a slot. */
  readonly waiting: number;
  /** Whether every slot is held, so a new caller would wait. */
  readonly full: boolean;
}

export function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = async (): Promise<void> => {
    if (active < limit) {
      active += 1;
      return;
    }
    // The releasing holder hands its slot straight over, so a newcomer cannot slip in between.
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return {
    get waiting() {
      return waiting.length;
    },
    get full() {
      return active >= limit;
    },
    async run(fn) {
      await acquire();
      try {
        return await fn();
      } finally {
        release();
      }
    },
  };
}
