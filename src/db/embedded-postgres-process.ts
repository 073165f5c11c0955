import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readlink, realpath, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Who runs the cluster's programs: undefined for this process's own user. PostgreSQL refuses to run as root, so a
 * root process (CI, containers) runs them as another user: the owner of an existing cluster, else `nobody`.
 */
export interface ClusterUser {
  uid: number;
  gid: number;
}

/**
 * The data folder as the programs are told it. Run as another user, they start in the cluster's folder (the
 * working directory is entered before the user changes) and are given `/proc/self/cwd`: that user then needs no
 * way through the folders above it, so DATA_DIR stays 0700 and root's. As ourselves, the folder's own path.
 */
export function dataDirArgument(dir: string, user: ClusterUser | undefined): string {
  return user ? '/proc/self/cwd' : path.resolve(dir);
}

export interface SpawnAsOptions {
  cwd: string;
  user: ClusterUser | undefined;
  detached?: boolean;
  /** A file descriptor for its standard input. */
  stdin?: number;
}

/** Spawns one of the cluster's programs in `cwd`, as `user`, in the C locale (its messages are then English). */
export function spawnAs(program: string, args: string[], options: SpawnAsOptions): ChildProcess {
  return spawn(program, args, {
    cwd: options.cwd,
    env: { LC_ALL: 'C', ...(process.env.TZ !== undefined && { TZ: process.env.TZ }) },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
    ...(options.user && { uid: options.user.uid, gid: options.user.gid }),
  });
}

/** Calls `onLine` with each line the child writes; resolves to a function giving the last few, for error messages. */
export function followOutput(child: ChildProcess, onLine: (line: string) => void = () => undefined): () => string {
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      onLine(line);
    });
  }
  return () => tail.join('\n');
}

/**
 * A program the cluster's user cannot run: as root, that is `nobody`, who needs a way through every folder above it
 * (where node_modules is out of its reach, the programs run from a copy in the temporary folder, which may be noexec).
 */
export function explainSpawnFailure(error: NodeJS.ErrnoException, program: string, user: ClusterUser | undefined): Error {
  if (!user || error.code !== 'EACCES') return error;
  return new Error(
    `The embedded PostgreSQL runs as uid ${user.uid} because this process is root, and that user cannot run ${program}: ` +
      'every folder above it must be open to others (o+x) and its file system allow programs; or run SimpleVideo as a user other than root, or set DATABASE_URL',
    { cause: error },
  );
}

/** Runs a program to its end; rejects with its last lines when it fails. */
export function runToEnd(program: string, args: string[], options: SpawnAsOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(program, args, options);
    const tail = followOutput(child);
    child.once('error', (error) => reject(explainSpawnFailure(error, program, options.user)));
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(program)} failed (${signal ?? `exit ${code}`}): ${tail()}`)),
    );
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until `pid` is gone; false when it is still there after `ms`. */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!isAlive(pid)) return true;
  return !isAlive(pid);
}

/**
 * Whether `pid` is the postmaster of `cluster`: its working directory is the cluster's folder (PostgreSQL enters it
 * first thing). Where /proc cannot tell (another OS), the data folder its postmaster.pid names.
 */
async function isPostmasterOf(pid: number, cluster: string, pidFileDataDir: string | undefined): Promise<boolean | undefined> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd !== undefined) return cwd === (await realpath(cluster));
  return pidFileDataDir === undefined ? undefined : path.resolve(pidFileDataDir) === path.resolve(cluster);
}

/**
 * Stops a postmaster an earlier process of ours left running on `cluster` (it was SIGKILLed, or crashed past its
 * exit handler): a fast shutdown, then an immediate one if that hangs. Its settings were that process's; starting
 * anew applies this one's. A postmaster.pid naming a dead process is PostgreSQL's to clear; one naming a live
 * process that is not this cluster's postmaster (its number reused) is removed, else PostgreSQL would refuse to
 * start. Resolves to the stopped postmaster's pid.
 */
export async function stopOrphanPostmaster(cluster: string): Promise<number | undefined> {
  const pidFile = path.join(cluster, 'postmaster.pid');
  const lines = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return undefined;
  const ours = await isPostmasterOf(pid, cluster, lines[1]);
  if (ours === false) {
    await rm(pidFile, { force: true });
    return undefined;
  }
  for (const [signal, ms] of [['SIGINT', 30_000], ['SIGQUIT', 10_000], ['SIGKILL', 10_000]] as const) {
    process.kill(pid, signal);
    if (await waitGone(pid, ms)) return pid;
  }
  throw new Error(`The PostgreSQL server (pid ${pid}) left running on ${cluster} does not stop`);
}
