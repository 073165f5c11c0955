import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteCounter, tooLargeError } from './byte-counter.js';
import { contentTypeForKey, encodeKeyForUrl, resolveKeyPath } from './keys.js';
import { StorageError, type ObjectStorage } from './object-storage.js';

/** Folder under the root where uploads are written before being renamed into place; never a valid key. */
export const TEMP_DIR = '.tmp';

const STALE_UPLOAD_MS = 3600_000;

export interface LocalStorageOptions {
  /** Folder holding the objects (the app passes `DATA_DIR/media`). */
  root: string;
  /** Origin prepended to `/media/<key>`; '' gives root-relative URLs. */
  publicBaseUrl: string;
}

/**
 * Files under `root`, served by media-route.ts at `/media/`. Writes go to `root/.tmp/<uuid>` and are renamed
 * into place once complete (same file system, so the rename is atomic): readers never see half a file.
 * The content type is derived from the key's extension on read; the one passed to `put` is not kept.
 */
export function createLocalStorage(options: LocalStorageOptions): ObjectStorage {
  const root = path.resolve(options.root);
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');

  return {
    driver: 'local',

    async put(key, body, { maxBytes, signal }) {
      const file = resolveKeyPath(root, key);
      signal?.throwIfAborted();
      if (Buffer.isBuffer(body) && maxBytes !== undefined && body.length > maxBytes) throw tooLargeError(maxBytes);
      const tempDir = path.join(root, TEMP_DIR);
      const temp = path.join(tempDir, randomUUID());
      const counter = new ByteCounter(maxBytes);
      try {
        await fs.mkdir(tempDir, { recursive: true });
        const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
        // `flush` fsyncs before close, so a crash after the rename cannot leave a truncated file.
        await pipeline(source, counter, createWriteStream(temp, { flags: 'wx', flush: true }), { signal });
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.rename(temp, file);
        return { bytes: counter.bytes };
      } catch (err) {
        await fs.rm(temp, { force: true }).catch(() => undefined);
        if (counter.tooLarge && maxBytes !== undefined) throw tooLargeError(maxBytes);
        if (signal?.aborted) throw signal.reason;
        throw writeError(key, err);
      }
    },

    async get(key) {
      const file = resolveKeyPath(root, key);
      const handle = await openFile(file, key);
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw notFound(key);
        return { body: handle.createReadStream(), contentType: contentTypeForKey(key), bytes: stat.size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async exists(key) {
      const file = resolveKeyPath(root, key);
      try {
        return (await fs.stat(file)).isFile();
      } catch (err) {
        if (isMissing(err)) return false;
        throw new StorageError('unavailable', `Could not stat ${key}`, { cause: err });
      }
    },

    async delete(key) {
      const file = resolveKeyPath(root, key);
      try {
        await fs.unlink(file);
      } catch (err) {
        if (isMissing(err)) return;
        throw new StorageError('unavailable', `Could not delete ${key}`, { cause: err });
      }
    },

    publicUrl(key) {
      return `${baseUrl}/media/${encodeKeyForUrl(key)}`;
    },
  };
}

/**
 * Removes temporary upload files older than an hour, left behind when a process died mid-write.
 * Run at start-up; returns how many were removed. `now` is injectable for tests.
 */
export async function sweepStaleUploads(root: string, options: { now?: number; maxAgeMs?: number } = {}): Promise<number> {
  const { now = Date.now(), maxAgeMs = STALE_UPLOAD_MS } = options;
  const tempDir = path.join(path.resolve(root), TEMP_DIR);
  let names: string[];
  try {
    names = await fs.readdir(tempDir);
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const temp = path.join(tempDir, name);
    const stat = await fs.stat(temp).catch(() => undefined);
    if (stat === undefined || now - stat.mtimeMs < maxAgeMs) continue;
    await fs.rm(temp, { force: true, recursive: true });
    removed += 1;
  }
  return removed;
}

async function openFile(file: string, key: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'r');
  } catch (err) {
    if (isMissing(err) || isErrnoCode(err, 'EISDIR')) throw notFound(key);
    throw new StorageError('unavailable', `Could not open ${key}`, { cause: err });
  }
}

/** ENOSPC and EDQUOT get their own kind: the operator must free space, and the error must say so plainly. */
function writeError(key: string, err: unknown): StorageError {
  if (isErrnoCode(err, 'ENOSPC') || isErrnoCode(err, 'EDQUOT')) {
    return new StorageError('full', `Could not write ${key}: the storage volume is full`, { cause: err });
  }
  return new StorageError('unavailable', `Could not write ${key}`, { cause: err });
}

function notFound(key: string): StorageError {
  return new StorageError('not_found', `No object at ${key}`);
}

function isMissing(err: unknown): boolean {
  return isErrnoCode(err, 'ENOENT') || isErrnoCode(err, 'ENOTDIR');
}

function isErrnoCode(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}
