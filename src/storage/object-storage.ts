import type { Readable } from 'node:stream';

/** Where media lives: uploaded input images and archived results. Keys are `/`-separated relative paths. */
export interface ObjectStorage {
  readonly driver: 'local' | 's3';
  /**
   * Stores a stream under `key`, never holding it whole in memory. The object becomes visible only once
   * complete: a failed or aborted write leaves nothing behind. Rejects with StorageError('too_large') past `maxBytes`.
   */
  put(key: string, body: Readable | Buffer, options: { contentType: string; maxBytes?: number; signal?: AbortSignal }): Promise<{ bytes: number }>;
  /** Opens a stored object for reading; rejects with StorageError('not_found') when missing. */
  get(key: string): Promise<{ body: Readable; contentType: string; bytes: number }>;
  /** Whether `key` exists. */
  exists(key: string): Promise<boolean>;
  /** Removes `key`; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** The public address clients use to fetch `key`. */
  publicUrl(key: string): string;
}

/**
 * `full`: the volume (or quota) has no room for the object; nothing of it was kept, and writes fail until an operator
 * frees space. `unavailable`: any other failure of the store, likely to pass on its own.
 */
export type StorageErrorKind = 'too_large' | 'not_found' | 'full' | 'unavailable';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(readonly kind: StorageErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
