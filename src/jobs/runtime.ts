import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ProviderName } from '../providers/video-provider.js';
import { createSemaphore, type Semaphore } from '../domain/sync/semaphore.js';

/**
 * What every pass in one process shares: the process's name in lease columns and the per-provider concurrency
 * bound. The scheduler and the job endpoints of one process get the same runtime, so together they never exceed
 * PROVIDER_CONCURRENCY calls to one provider.
 */
export interface JobRuntime {
  readonly instanceId: string;
  readonly providerSlots: Readonly<Record<ProviderName, Semaphore>>;
  /** A lease owner unique to one run of one pass: two overlapping runs in one process never mistake each other's leases. */
  nextLeaseOwner(pass: 'sync' | 'archive' | 'completed'): string;
  /** What every lease owner of this process starts with: its leases are released together at shutdown. */
  readonly leaseOwnerPrefix: string;
  /** Tells whoever listens (see onCompleted) that a task's completion was committed in this process. */
  notifyCompleted(taskId: number): void;
  /**
   * Listens for completions committed in this process (polls, callbacks, job endpoints); returns the function
   * that stops listening. Nobody listens unless the scheduler runs (not with ROLE=api, not in most tests).
   */
  onCompleted(listener: (taskId: number) => void): () => void;
}

const runtimes = new WeakMap<object, JobRuntime>();

/** The runtime for this set of dependencies (one per process in production, one per test app in tests). */
export function jobRuntimeOf(key: object, providerConcurrency: number): JobRuntime {
  let runtime = runtimes.get(key);
  if (!runtime) {
    runtime = createJobRuntime(providerConcurrency);
    runtimes.set(key, runtime);
  }
  return runtime;
}

export function createJobRuntime(providerConcurrency: number): JobRuntime {
  const instanceId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  let counter = 0;
  const listeners = new Set<(taskId: number) => void>();
  return {
    instanceId,
    providerSlots: { ai302: createSemaphore(providerConcurrency), kling: createSemaphore(providerConcurrency) },
    nextLeaseOwner: (pass) => `${instanceId}:${pass}:${++counter}`,
    leaseOwnerPrefix: `${instanceId}:`,
    notifyCompleted(taskId) {
      for (const listener of listeners) listener(taskId);
    },
    onCompleted(listener) {
      // Wrapped, so one listener added twice is two subscriptions, each removed by its own function.
      const own = (taskId: number) => listener(taskId);
      listeners.add(own);
      return () => void listeners.delete(own);
    },
  };
}
