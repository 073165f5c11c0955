import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StorageError, type ObjectStorage } from '../../storage/object-storage.js';

let ffmpegAvailable: Promise<boolean> | undefined;

/** Whether `ffmpeg` runs on this machine; checked once per process. */
export function hasFfmpeg(): Promise<boolean> {
  ffmpegAvailable ??= new Promise((resolve) => {
    const child = spawn('ffmpeg', ['-version'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
  return ffmpegAvailable;
}

const FFMPEG_TIMEOUT_MS = 60_000;
const MAX_THUMBNAIL_BYTES = 10 * 1024 * 1024;

/**
 * Kling's official API gives no cover image: take the first frame of our stored copy. The video goes to a
 * temporary file first (not a pipe), because an MP4 whose index sits at the end cannot be decoded from a pipe;
 * ffmpeg's JPEG goes from its stdout straight into storage. Resolves false when ffmpeg failed; throws the
 * StorageError when storage could not take the frame.
 */
export async function makeThumbnail(storage: ObjectStorage, videoKey: string, thumbnailKey: string): Promise<boolean> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sv-thumb-'));
  try {
    const video = await storage.get(videoKey);
    const file = path.join(dir, 'video.mp4');
    await pipeline(video.body, createWriteStream(file));
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: FFMPEG_TIMEOUT_MS,
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('close', (code) => resolve(code));
    });
    const stored = storage.put(thumbnailKey, child.stdout, { contentType: 'image/jpeg', maxBytes: MAX_THUMBNAIL_BYTES });
    const [code, result] = await Promise.all([exited, stored.then(({ bytes }) => ({ bytes }), (error: unknown) => ({ error }))]);
    // Storage that cannot take the frame now (full, unreachable) fails the copy, to be retried; only a frame ffmpeg
    // could not make, or one too large, means "no thumbnail".
    if ('error' in result && result.error instanceof StorageError && (result.error.kind === 'full' || result.error.kind === 'unavailable')) {
      throw result.error;
    }
    if (code !== 0 || !('bytes' in result) || result.bytes === 0) {
      await storage.delete(thumbnailKey).catch(() => undefined);
      return false;
    }
    return true;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
