import { execFile } from 'node:child_process';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A small file system mounted at a folder, or why there is none. */
export type SmallVolume = { mounted: true; unmount(): Promise<void> } | { mounted: false; reason: string };

/**
 * Mounts a tmpfs of `bytes` at `dir` (root only: CI and this machine run as root). Without the privilege, or
 * without `mount`, says why instead of throwing, so the caller can skip loudly.
 */
export async function mountSmallVolume(dir: string, bytes: number): Promise<SmallVolume> {
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  } catch (error) {
    return { mounted: false, reason: error instanceof Error ? error.message.trim() : String(error) };
  }
  return {
    mounted: true,
    // A lazy unmount still detaches the volume when a stream the test forgot is holding a file open.
    unmount: () => run('umount', ['-l', dir]).then(() => undefined),
  };
}

const FILLER = '.filler';

/** Fills the volume at `dir` until about `leaveBytes` are free (tmpfs counts whole 4 KiB pages). */
export async function fillVolume(dir: string, leaveBytes: number): Promise<void> {
  const { bavail, bsize } = await statfs(dir);
  const fill = Math.max(0, bavail * bsize - leaveBytes);
  await writeFile(path.join(dir, FILLER), Buffer.alloc(fill));
}

/** Gives the space back. */
export async function emptyVolume(dir: string): Promise<void> {
  await rm(path.join(dir, FILLER), { force: true });
}

export async function freeBytes(dir: string): Promise<number> {
  const { bavail, bsize } = await statfs(dir);
  return bavail * bsize;
}
