import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import path from 'node:path';
import { PROJECT_ROOT } from '../../project-root.js';
import { phaseOf, type SimContext } from './tasks.js';

/** The assets live in the source tree, which a built checkout also has (tsc copies only code into dist/). */
const ASSETS_DIR = path.join(PROJECT_ROOT, 'src', 'providers', 'simulator', 'assets');

/** A 1 s 320x180 H.264 (yuv420p, +faststart) MP4 and a 320x180 JPEG, made once with ffmpeg and kept in git. */
function loadAsset(name: string): Buffer {
  return readFileSync(path.join(ASSETS_DIR, name));
}

export interface SimMedia {
  video: Buffer;
  thumbnail: Buffer;
}

export function loadMedia(): SimMedia {
  return { video: loadAsset('sample.mp4'), thumbnail: loadAsset('thumbnail.jpg') };
}

/** Largest "large video" served, so a typo cannot stream forever. */
const MAX_LARGE_BYTES = 64 * 1024 ** 3;
const CHUNK = 64 * 1024;

/** `bytes` bytes: the sample MP4 first (so the start looks like a video), then zeros, made as the reader pulls. */
function largeBody(sample: Buffer, bytes: number): Readable {
  let sent = 0;
  const zeros = Buffer.alloc(CHUNK);
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.push(null);
        return;
      }
      const source = sent < sample.length ? sample.subarray(sent) : zeros;
      const chunk = source.subarray(0, Math.min(source.length, bytes - sent));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

function send(req: IncomingMessage, res: ServerResponse, contentType: string, length: number, body: () => Readable | Buffer): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': String(length), 'cache-control': 'no-store' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const payload = body();
  if (Buffer.isBuffer(payload)) res.end(payload);
  else payload.pipe(res);
}

/**
 * Serves `/files/{taskId}.mp4|.jpg` for succeeded tasks and `/files/large/{bytes}.mp4` for benchmarks.
 * Returns false when the path is not a media path.
 */
export function serveMedia(context: SimContext, media: SimMedia, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const large = /^\/files\/large\/(\d+)\.mp4$/.exec(path);
  const file = /^\/files\/([^/]+)\.(mp4|jpg)$/.exec(path);
  if (!large && !file) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return true;
  }
  if (large?.[1]) {
    const bytes = Number(large[1]);
    if (!Number.isSafeInteger(bytes) || bytes > MAX_LARGE_BYTES) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`at most ${MAX_LARGE_BYTES} bytes`);
      return true;
    }
    send(req, res, 'video/mp4', bytes, () => largeBody(media.video, bytes));
    return true;
  }
  const task = file?.[1] ? context.tasks.get(decodeURIComponent(file[1])) : undefined;
  if (!task || phaseOf(task, context) !== 'succeeded') {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return true;
  }
  const isVideo = file?.[2] === 'mp4';
  const body = isVideo ? media.video : media.thumbnail;
  send(req, res, isVideo ? 'video/mp4' : 'image/jpeg', body.length, () => body);
  return true;
}
