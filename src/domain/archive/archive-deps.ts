import type { Clock } from '../../clock.js';
import type { Db } from '../../db/db.js';
import type { Log } from '../../log.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { AddressPolicy } from './address-policy.js';

/** What the archive pass needs. */
export interface ArchiveDeps {
  db: Db;
  storage: ObjectStorage;
  clock: Clock;
  logger: Log;
  /** Which addresses downloads may reach (SSRF rules). */
  policy: AddressPolicy;
  /** Size cap per file (ARCHIVE_MAX_BYTES). */
  maxBytes: number;
  /** Deadline per file download (ARCHIVE_TIMEOUT_MS). */
  timeoutMs: number;
  leaseMs: number;
  batchSize: number;
  random?: () => number;
}

/** One task's outcome, in the contract's batch `results[]` shape. */
export interface ArchiveResult {
  taskId: number;
  success: boolean;
  r2VideoUrl?: string;
  r2ThumbnailUrl?: string;
  error?: string;
  /** The SSRF rules refused the download (not part of the contract's shape). */
  refused?: boolean;
}

/** Where a task's files live in our storage (the contract's R2 layout). */
export function archiveKeys(userId: string | null, taskId: number): { video: string; thumbnail: string } {
  // A task whose owner deleted their account keeps user_id null; its files still need a home.
  const owner = userId ?? 'unowned';
  return { video: `videos/${owner}/${taskId}-video.mp4`, thumbnail: `videos/${owner}/${taskId}-thumbnail.jpg` };
}
