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
  nextLeaseOwner(pass: 'sync' | 'archive'): string;
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
  return {
    instanceId,
    providerSlots: { ai302: createSemaphore(providerConcurrency), kling: createSemaphore(providerConcurrency) },
    nextLeaseOwner: (pass) => `${instanceId}:${pass}:${++counter}`,
  };
}
