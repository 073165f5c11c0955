import type { Clock } from '../../clock.js';
import type { Db } from '../../db/db.js';
import type { Log } from '../../log.js';
import type { ProviderName, VideoProviders } from '../../providers/video-provider.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { Semaphore } from './semaphore.js';

/** What the sync pass and the callbacks need. */
export interface SyncDeps {
  db: Db;
  providers: VideoProviders;
  storage: ObjectStorage;
  clock: Clock;
  logger: Log;
  /** Whether plain-http result URLs are accepted (only where the simulator may run: see resultUrlProblem). */
  allowHttpResults: boolean;
  /** Base of the provider callback URLs, for resubmissions. */
  publicUrl?: string | undefined;
  taskTimeoutMs: number;
  leaseMs: number;
  batchSize: number;
  /** Bounds concurrent calls per provider across every pass of this process. */
  providerSlots: Readonly<Record<ProviderName, Semaphore>>;
  /** Injectable for exact backoff in tests. */
  random?: () => number;
  /**
   * Told after a task's completion is committed (by a poll or a callback), so its files can be copied at once
   * (jobs/archive-on-completion.ts). Must not throw or wait: recording does not depend on it.
   */
  onCompleted?: (taskId: number) => void;
}

/** One task's outcome, in the contract's `results[]` shape (plus `error` when it failed to sync). */
export interface SyncResult {
  taskId: number;
  success: boolean;
  newStatus: string;
  resultUrl?: string;
  thumbnailUrl?: string;
  error?: string;
}
