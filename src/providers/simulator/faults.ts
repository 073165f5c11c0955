/**
 * Fault injection for the simulator's API routes (create and fetch of both providers; media downloads are never
 * faulted). A queued fault is used first, one per request, in order; when the queue is empty each request draws
 * one random number against the rates, so the rates should add up to at most 1.
 *
 * What each fault does:
 * - `status429`: 429 in the provider's own error shape (302: `{error:{…}}`, Kling: code 1302), with `Retry-After`.
 *   Nothing is created.
 * - `status500`: 500 (302: err_code -1024, Kling: code 5000). Nothing is created.
 * - `noCapacity` (queued only): 503, no model available right now (302: err_code -10008, Kling: code 5001). Transient.
 * - `noBalance` (queued only): our account cannot pay (302: 403 with err_code -10004, Kling: 429 with code 1102).
 *   Permanent until an operator tops it up.
 * - `reset`: the socket is destroyed before any reply. Nothing is created.
 * - `hang`: the request IS processed (a create makes a task) but the reply is held for `hangMs`, so a client with a
 *   shorter timeout sees a lost reply: the case `findByClientTaskId` exists for.
 * - `malformed`: the request IS processed, and the reply is a 200 with truncated JSON.
 */
export type FaultKind = 'status429' | 'status500' | 'noCapacity' | 'noBalance' | 'hang' | 'malformed' | 'reset';

export interface FaultSettings {
  status429Rate: number;
  status500Rate: number;
  hangRate: number;
  malformedRate: number;
  resetRate: number;
  /** How long a `hang` holds the reply. */
  hangMs: number;
  /** The `Retry-After` value sent with 429s, in seconds. */
  retryAfterSeconds: number;
}

/** Test and chaos controls; see FaultKind for what each fault does. */
export interface FaultControls {
  /** Changes some settings; the others keep their values. */
  set(update: Partial<FaultSettings>): void;
  /** Queues faults for the next API requests, one each, before the rates apply. */
  enqueue(...faults: FaultKind[]): void;
  /** Empties the queue and sets every rate back to 0 (hangMs and retryAfterSeconds to their defaults). */
  clear(): void;
  /** The current settings. */
  settings(): Readonly<FaultSettings>;
}

const DEFAULTS: FaultSettings = {
  status429Rate: 0,
  status500Rate: 0,
  hangRate: 0,
  malformedRate: 0,
  resetRate: 0,
  hangMs: 60_000,
  retryAfterSeconds: 2,
};

/** The controls plus `next()`, which the server calls once per API request. */
export function createFaults(random: () => number): FaultControls & { next(): FaultKind | undefined } {
  let settings: FaultSettings = { ...DEFAULTS };
  const queue: FaultKind[] = [];
  const byRate: ReadonlyArray<[FaultKind, keyof FaultSettings]> = [
    ['status429', 'status429Rate'],
    ['status500', 'status500Rate'],
    ['hang', 'hangRate'],
    ['malformed', 'malformedRate'],
    ['reset', 'resetRate'],
  ];

  return {
    set(update) {
      settings = { ...settings, ...update };
    },
    enqueue(...faults) {
      queue.push(...faults);
    },
    clear() {
      queue.length = 0;
      settings = { ...DEFAULTS };
    },
    settings() {
      return settings;
    },
    next() {
      const queued = queue.shift();
      if (queued) return queued;
      const draw = random();
      let threshold = 0;
      for (const [fault, key] of byRate) {
        threshold += settings[key];
        if (draw < threshold) return fault;
      }
      return undefined;
    },
  };
}
