import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createLocalStorage } from '../../storage/local.js';
import { StorageError, type ObjectStorage } from '../../storage/object-storage.js';
import { hasFfmpeg, makeThumbnail } from './thumbnail.js';

const SAMPLE = path.resolve('src/providers/simulator/assets/sample.mp4');

let root: string;
let storage: ObjectStorage;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'thumbnail-'));
  storage = createLocalStorage({ root, publicBaseUrl: '' });
  await storage.put('videos/a.mp4', await fs.readFile(SAMPLE), { contentType: 'video/mp4' });
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

/** The same storage, but every put of a JPEG fails with `error`. */
function failingJpegPuts(error: StorageError): ObjectStorage {
  return { ...storage, put: (key, body, options) => (key.endsWith('.jpg') ? Promise.reject(error) : storage.put(key, body, options)) };
}

it.skipIf(!(await hasFfmpeg()))('makes a JPEG of the first frame', async () => {
  expect(await makeThumbnail(storage, 'videos/a.mp4', 'videos/a.jpg')).toBe(true);
  const { bytes } = await storage.get('videos/a.jpg');
  expect(bytes).toBeGreaterThan(0);
});

it.skipIf(!(await hasFfmpeg()))('throws when storage cannot take the frame (so the copy is retried), but not for a frame too large', async () => {
  const full = new StorageError('full', 'Could not write videos/a.jpg: the storage volume is full');
  await expect(makeThumbnail(failingJpegPuts(full), 'videos/a.mp4', 'videos/a.jpg')).rejects.toBe(full);
  const away = new StorageError('unavailable', 'Object storage failed');
  await expect(makeThumbnail(failingJpegPuts(away), 'videos/a.mp4', 'videos/a.jpg')).rejects.toBe(away);
  const tooLarge = new StorageError('too_large', 'Object exceeds the limit');
  expect(await makeThumbnail(failingJpegPuts(tooLarge), 'videos/a.mp4', 'videos/a.jpg')).toBe(false);
});
