import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../../test/helpers/s3rver.js';
import { StorageError, type ObjectStorage } from './object-storage.js';
import { createS3Storage } from './s3.js';
import { PART_SIZE } from './s3-upload.js';

let s3rver: RunningS3rver;
let storage: ObjectStorage;
let listing: S3Client;

beforeAll(async () => {
  s3rver = await startS3rver();
  const { endpoint, region, bucket, accessKeyId, secretAccessKey } = s3rver;
  storage = createS3Storage({
    endpoint,
    region,
    bucket,
    accessKeyId,
    secretAccessKey,
    publicUrl: 'https://media.example.com/',
    forcePathStyle: true,
  });
  listing = new S3Client({ endpoint, region, credentials: { accessKeyId, secretAccessKey }, forcePathStyle: true });
});

afterAll(async () => {
  listing?.destroy();
  await s3rver?.close();
});

async function listKeys(): Promise<string[]> {
  const res = await listing.send(new ListObjectsV2Command({ Bucket: s3rver.bucket }));
  return (res.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
}

/** `bytes` of deterministic pseudo-random data, generated in 1 MiB chunks (never held whole). */
function generated(bytes: number, failAfter?: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  let seed = 1;
  const stream = new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) return this.destroy(new Error('upstream reset'));
      if (sent >= bytes) return this.push(null);
      const chunk = Buffer.alloc(Math.min(1024 * 1024, bytes - sent));
      for (let i = 0; i < chunk.length; i += 4) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        chunk.writeUInt32LE(seed, i);
      }
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

describe('s3 storage against s3rver', () => {
  it('streams a multipart object and reads it back intact', async () => {
    const size = 20 * 1024 * 1024 + 12;
    const source = generated(size);
    const put = await storage.put('videos/u1/big.mp4', source.stream, { contentType: 'video/mp4', maxBytes: 64 * 1024 * 1024 });
    expect(put).toEqual({ bytes: size });

    const got = await storage.get('videos/u1/big.mp4');
    expect(got.contentType).toBe('video/mp4');
    expect(got.bytes).toBe(size);
    const hash = createHash('sha256');
    for await (const chunk of got.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(source.sha256());

    await storage.delete('videos/u1/big.mp4');
    expect(await storage.exists('videos/u1/big.mp4')).toBe(false);
  }, 60_000);

  it.each([
    ['an empty stream', 0, 'stream'],
    ['exactly two parts', 2 * PART_SIZE, 'stream'],
    ['a Buffer four bytes over a part', PART_SIZE + 4, 'buffer'],
  ] as const)('stores %s intact', async (_name, size, form) => {
    const source = generated(size);
    const body = form === 'buffer' ? Buffer.concat(await source.stream.toArray()) : source.stream;
    expect(await storage.put('edge.bin', body, { contentType: 'application/octet-stream' })).toEqual({ bytes: size });
    const got = await storage.get('edge.bin');
    const hash = createHash('sha256');
    for await (const chunk of got.body) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(source.sha256());
    await storage.delete('edge.bin');
  }, 60_000);

  it('puts a small Buffer, checks it exists and deletes it', async () => {
    expect(await storage.put('images/a.jpg', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' })).toEqual({ bytes: 10 });
    expect(await storage.exists('images/a.jpg')).toBe(true);
    const got = await storage.get('images/a.jpg');
    expect(got.contentType).toBe('image/jpeg');
    expect(await text(got.body)).toBe('jpeg bytes');
    await storage.delete('images/a.jpg');
    await storage.delete('images/a.jpg');
    expect(await storage.exists('images/a.jpg')).toBe(false);
  });

  it('maps a missing object to not_found', async () => {
    await expect(storage.get('missing.mp4')).rejects.toSatisfy((e) => e instanceof StorageError && e.kind === 'not_found');
    expect(await storage.exists('missing.mp4')).toBe(false);
  });

  it('aborts a too-large multipart upload and leaves nothing', async () => {
    const put = storage.put('too-big.mp4', generated(30 * 1024 * 1024).stream, { contentType: 'video/mp4', maxBytes: 18 * 1024 * 1024 });
    await expect(put).rejects.toMatchObject({ name: 'StorageError', kind: 'too_large' });
    expect(await storage.exists('too-big.mp4')).toBe(false);
    expect(await listKeys()).toEqual([]);
  }, 60_000);

  it('refuses a too-large small stream and a too-large Buffer', async () => {
    await expect(storage.put('s.mp4', generated(2048).stream, { contentType: 'video/mp4', maxBytes: 1024 })).rejects.toMatchObject({
      kind: 'too_large',
    });
    await expect(storage.put('b.mp4', Buffer.alloc(11), { contentType: 'video/mp4', maxBytes: 10 })).rejects.toMatchObject({
      kind: 'too_large',
    });
    expect(await listKeys()).toEqual([]);
  });

  it('leaves nothing when the source fails mid-upload', async () => {
    const put = storage.put('broken.mp4', generated(30 * 1024 * 1024, 12 * 1024 * 1024).stream, { contentType: 'video/mp4' });
    await expect(put).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await listKeys()).toEqual([]);
  }, 60_000);

  it('honours the abort signal mid-upload and leaves nothing', async () => {
    const controller = new AbortController();
    const source = generated(30 * 1024 * 1024);
    let chunks = 0;
    source.stream.on('data', () => {
      chunks += 1;
      if (chunks === 10) controller.abort(new Error('client went away'));
    });
    const put = storage.put('aborted.mp4', source.stream, { contentType: 'video/mp4', signal: controller.signal });
    await expect(put).rejects.toThrow('client went away');
    expect(await listKeys()).toEqual([]);
  }, 60_000);

  it('maps an unreachable endpoint to unavailable', async () => {
    const down = createS3Storage({
      endpoint: 'http://127.0.0.1:1',
      region: 'us-east-1',
      bucket: 'test',
      accessKeyId: 'x',
      secretAccessKey: 'x',
      publicUrl: 'https://media.example.com',
      forcePathStyle: true,
    });
    await expect(down.exists('a.mp4')).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('refuses bad keys and builds public URLs', async () => {
    await expect(storage.get('../x')).rejects.toThrow('Invalid storage key');
    expect(storage.publicUrl('videos/a b.mp4')).toBe('https://media.example.com/videos/a%20b.mp4');
  });
});
