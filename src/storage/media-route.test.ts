import Fastify, { type FastifyInstance } from 'fastify';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStorage, TEMP_DIR } from './local.js';
import { mediaRoutes, parseRange } from './media-route.js';

let root: string;
let app: FastifyInstance;
const video = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'media-route-'));
  const storage = createLocalStorage({ root, publicBaseUrl: '' });
  await storage.put('videos/u1/clip.mp4', video, { contentType: 'video/mp4' });
  await storage.put('images/a b.jpg', Buffer.from('jpeg'), { contentType: 'image/jpeg' });
  await storage.put('empty.webm', Buffer.alloc(0), { contentType: 'video/webm' });
  await fs.mkdir(path.join(root, TEMP_DIR), { recursive: true });
  await fs.writeFile(path.join(root, TEMP_DIR, 'partial'), 'half');
  await fs.writeFile(path.join(path.dirname(root), 'outside.txt'), 'secret');
  app = Fastify();
  await app.register(mediaRoutes({ root, publicPrefix: '' }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('GET /media/*', () => {
  it('serves a whole file with its content type and cache headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/media/videos/u1/clip.mp4' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['content-length']).toBe('1000');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['cache-control']).toContain('immutable');
    expect(res.rawPayload.equals(video)).toBe(true);
  });

  it('serves a key with an encoded space', async () => {
    const res = await app.inject({ method: 'GET', url: '/media/images/a%20b.jpg' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.body).toBe('jpeg');
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=900-', 900, 999],
    ['bytes=-10', 990, 999],
    ['bytes=990-5000', 990, 999],
  ])('answers %s with 206 and exactly those bytes', async (range, start, end) => {
    const res = await app.inject({ method: 'GET', url: '/media/videos/u1/clip.mp4', headers: { range } });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/1000`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.rawPayload.equals(video.subarray(start, end + 1))).toBe(true);
  });

  it('answers an unsatisfiable range with 416', async () => {
    const res = await app.inject({ method: 'GET', url: '/media/videos/u1/clip.mp4', headers: { range: 'bytes=1000-' } });
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */1000');
    const empty = await app.inject({ method: 'GET', url: '/media/empty.webm', headers: { range: 'bytes=0-' } });
    expect(empty.statusCode).toBe(416);
  });

  it('ignores a malformed or multi-part range and sends the whole file', async () => {
    for (const range of ['bytes=5-2', 'items=0-1', 'bytes=0-1,5-6']) {
      const res = await app.inject({ method: 'GET', url: '/media/videos/u1/clip.mp4', headers: { range } });
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.length).toBe(1000);
    }
  });

  it('honours If-Range: a stale validator gets the whole file', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/media/videos/u1/clip.mp4' });
    const etag = String(head.headers.etag);
    const fresh = await app.inject({ url: '/media/videos/u1/clip.mp4', headers: { range: 'bytes=0-9', 'if-range': etag } });
    expect(fresh.statusCode).toBe(206);
    const stale = await app.inject({ url: '/media/videos/u1/clip.mp4', headers: { range: 'bytes=0-9', 'if-range': '"old"' } });
    expect(stale.statusCode).toBe(200);
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/media/videos/u1/clip.mp4' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['content-length']).toBe('1000');
    expect(res.body).toBe('');
    const ranged = await app.inject({ method: 'HEAD', url: '/media/videos/u1/clip.mp4', headers: { range: 'bytes=10-19' } });
    expect(ranged.statusCode).toBe(206);
    expect(ranged.headers['content-length']).toBe('10');
  });

  it('serves an empty file', async () => {
    const res = await app.inject({ method: 'GET', url: '/media/empty.webm' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('video/webm');
    expect(res.body).toBe('');
  });

  it.each([
    '/media/missing.mp4',
    '/media/videos/u1',
    `/media/${TEMP_DIR}/partial`,
    '/media/..%2foutside.txt',
    '/media/..%5coutside.txt',
    '/media/%2Fetc%2Fpasswd',
    '/media/a%00b.mp4',
    '/media/',
  ])('answers %s with a JSON 404', async (url) => {
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Not found', code: 'not_found' });
  });

  // light-my-request resolves dot segments (even encoded ones) before routing, so these never reach the route.
  it.each(['/media/../outside.txt', '/media/%2e%2e/outside.txt', '/media/videos/%2e%2e/%2e%2e/%2e%2e/outside.txt'])(
    'never serves a file outside root for %s',
    async (url) => {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('secret');
    },
  );

  it('refuses raw dot segments sent over a real socket', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const rawPath of ['/media/../outside.txt', '/media/%2e%2e/outside.txt', '/media/videos/%2E%2E/%2e%2e/%2e%2e/outside.txt']) {
      const { status, body } = await rawGet(address, rawPath);
      expect(status).toBe(404);
      expect(JSON.parse(body)).toEqual({ error: 'Not found', code: 'not_found' });
    }
  });
});

/** A GET that sends `rawPath` byte for byte (fetch would normalise the dot segments away). */
function rawGet(address: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('parseRange', () => {
  it.each([
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=-20', 10, { start: 0, end: 9 }],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=10-', 10, 'unsatisfiable'],
    ['bytes=-', 10, undefined],
    ['bytes=3-1', 10, undefined],
    ['bytes=abc', 10, undefined],
  ] as const)('parses %s of a %i-byte file', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('publicPrefix', () => {
  it('serves keys under the prefix only: everything else is a 404, as if it did not exist', async () => {
    const only = Fastify();
    await only.register(mediaRoutes({ root, publicPrefix: 'videos/' }));
    try {
      expect((await only.inject({ method: 'GET', url: '/media/videos/u1/clip.mp4' })).statusCode).toBe(200);
      for (const url of ['/media/images/a%20b.jpg', '/media/empty.webm', '/media/videos']) {
        const res = await only.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
      }
    } finally {
      await only.close();
    }
  });
});
