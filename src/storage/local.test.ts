import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStorage, sweepStaleUploads, TEMP_DIR } from './local.js';
import { StorageError, type ObjectStorage } from './object-storage.js';

let root: string;
let storage: ObjectStorage;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'local-storage-'));
  storage = createLocalStorage({ root, publicBaseUrl: 'https://cdn.example.com/' });
});

afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** Every file under root, including the temp folder, as relative paths. */
async function listFiles(): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** A stream of `chunks` chunks of 64 KiB, then an error if `failWith` is given. */
function chunkedStream(chunks: number, failWith?: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent < chunks) {
        sent += 1;
        this.push(Buffer.alloc(64 * 1024, sent));
      } else if (failWith !== undefined) {
        this.destroy(failWith);
      } else {
        this.push(null);
      }
    },
  });
}

describe('local storage', () => {
  it('puts, gets, checks and deletes objects', async () => {
    const put = await storage.put('videos/u1/a.mp4', Readable.from(['hello ', 'world']), { contentType: 'video/mp4' });
    expect(put).toEqual({ bytes: 11 });
    expect(await storage.exists('videos/u1/a.mp4')).toBe(true);

    const got = await storage.get('videos/u1/a.mp4');
    expect(got.contentType).toBe('video/mp4');
    expect(got.bytes).toBe(11);
    expect(await text(got.body)).toBe('hello world');

    await storage.delete('videos/u1/a.mp4');
    expect(await storage.exists('videos/u1/a.mp4')).toBe(false);
    await storage.delete('videos/u1/a.mp4');
    expect(await listFiles()).toEqual([]);
  });

  it('accepts a Buffer body and overwrites an existing key', async () => {
    await storage.put('img/x.png', Buffer.from('first'), { contentType: 'image/png' });
    await storage.put('img/x.png', Buffer.from('second'), { contentType: 'image/png' });
    const got = await storage.get('img/x.png');
    expect(got.contentType).toBe('image/png');
    expect(await text(got.body)).toBe('second');
  });

  it('rejects a missing key with not_found', async () => {
    await expect(storage.get('nope.mp4')).rejects.toMatchObject({ name: 'StorageError', kind: 'not_found' });
    await fs.mkdir(path.join(root, 'dir.mp4'));
    await expect(storage.get('dir.mp4')).rejects.toMatchObject({ kind: 'not_found' });
    expect(await storage.exists('dir.mp4')).toBe(false);
  });

  it('refuses a too-large stream and leaves no file behind', async () => {
    const put = storage.put('big.mp4', chunkedStream(20), { contentType: 'video/mp4', maxBytes: 1024 * 1024 });
    await expect(put).rejects.toSatisfy((e) => e instanceof StorageError && e.kind === 'too_large');
    await expect(storage.put('b.jpg', Buffer.alloc(10), { contentType: 'image/jpeg', maxBytes: 9 })).rejects.toMatchObject({
      kind: 'too_large',
    });
    expect(await listFiles()).toEqual([]);
  });

  it('accepts a stream of exactly maxBytes', async () => {
    expect(await storage.put('exact.mp4', chunkedStream(4), { contentType: 'video/mp4', maxBytes: 4 * 64 * 1024 })).toEqual({
      bytes: 4 * 64 * 1024,
    });
  });

  it('leaves nothing behind when the source stream fails', async () => {
    const put = storage.put('broken.mp4', chunkedStream(5, new Error('upstream reset')), { contentType: 'video/mp4' });
    await expect(put).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await listFiles()).toEqual([]);
  });

  it('honours the abort signal mid-stream and leaves nothing behind', async () => {
    const controller = new AbortController();
    let sent = 0;
    const body = new Readable({
      read() {
        sent += 1;
        if (sent === 3) controller.abort(new Error('client went away'));
        setTimeout(() => this.push(Buffer.alloc(1024)), 1);
      },
    });
    const put = storage.put('aborted.mp4', body, { contentType: 'video/mp4', signal: controller.signal });
    await expect(put).rejects.toThrow('client went away');
    expect(await listFiles()).toEqual([]);
    expect(await storage.exists('aborted.mp4')).toBe(false);
  });

  it('rejects an already-aborted signal without writing', async () => {
    const put = storage.put('a.mp4', Buffer.from('x'), { contentType: 'video/mp4', signal: AbortSignal.abort() });
    await expect(put).rejects.toThrow();
    expect(await listFiles()).toEqual([]);
  });

  it.each(['../escape.mp4', '/etc/passwd', 'a/../../b', 'a\\b.mp4', 'a\0b', '', 'a//b', './a', `${TEMP_DIR}/x`, 'a/.hidden', 'a/'])(
    'refuses the bad key %j',
    async (key) => {
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'video/mp4' })).rejects.toThrow('Invalid storage key');
      await expect(storage.get(key)).rejects.toThrow('Invalid storage key');
      await expect(storage.exists(key)).rejects.toThrow('Invalid storage key');
      await expect(storage.delete(key)).rejects.toThrow('Invalid storage key');
    },
  );

  it('builds public URLs under /media/', () => {
    expect(storage.publicUrl('videos/a b.mp4')).toBe('https://cdn.example.com/media/videos/a%20b.mp4');
    expect(createLocalStorage({ root, publicBaseUrl: '' }).publicUrl('x/y.jpg')).toBe('/media/x/y.jpg');
  });

  it('sweeps temp files older than an hour', async () => {
    const tempDir = path.join(root, TEMP_DIR);
    await fs.mkdir(tempDir);
    await fs.writeFile(path.join(tempDir, 'old'), 'x');
    await fs.writeFile(path.join(tempDir, 'new'), 'x');
    const now = Date.now();
    const twoHoursAgo = new Date(now - 2 * 3600_000);
    await fs.utimes(path.join(tempDir, 'old'), twoHoursAgo, twoHoursAgo);

    expect(await sweepStaleUploads(root, { now })).toBe(1);
    expect(await fs.readdir(tempDir)).toEqual(['new']);
    expect(await sweepStaleUploads(path.join(root, 'missing'))).toBe(0);
  });
});
