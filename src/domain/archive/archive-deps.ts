import { randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/db.js';
import type { TaskFileKeys } from '../../db/queries/task-file-keys.js';
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

/** Where archived results live: the one part of storage served publicly. */
export const ARCHIVE_PREFIX = 'videos/';

/**
 * A fresh home for a task's files: 128 random bits, the same stem for the video and its thumbnail. Nothing in it
 * names the owner or the task, so a public URL reveals neither and no other URL can be guessed from it (a deviation
 * from the contract's `videos/<userId>/<taskId>-video.mp4`). Hex rather than base64url: a case-insensitive file
 * system under the local driver would otherwise merge names differing only in case.
 */
export function newArchiveKeys(): TaskFileKeys {
  const stem = `${ARCHIVE_PREFIX}${randomBytes(16).toString('hex')}`;
  return { video: `${stem}.mp4`, thumbnail: `${stem}.jpg` };
}
