import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Every child the bench started: killed at exit, whatever happens. */
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

/** Registers something to undo at the end (s3rver, the bench database). Run in reverse order by `cleanupAll`. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export async function cleanupAll(): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => console.error('cleanup failed:', err));
  cleanups.length = 0;
}

// A crash or Ctrl-C must not leave servers running.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every child process`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function newestMtime(dir: string, extension: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, extension));
    else if (entry.name.endsWith(extension) && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

export interface ServerCommand {
  /** argv after the node executable */
  args: string[];
  /** 'built' (node dist/src/main.js) or 'tsx' (fallback when the build fails) */
  mode: 'built' | 'tsx';
}

/**
 * `node dist/src/main.js` for realistic memory and start-up figures; builds first when dist is missing or older than
 * src. If the build fails (someone's work in progress), falls back to running the sources through tsx, and says so.
 */
export function serverCommand(entry: 'main' | 'simulator'): ServerCommand {
  const built = path.join(ROOT, 'dist', 'src', entry === 'main' ? 'main.js' : 'providers/simulator/main.js');
  // tsc builds incrementally and leaves unchanged outputs alone: compare the newest output with the newest source.
  const fresh = () => existsSync(built) && newestMtime(path.join(ROOT, 'dist', 'src'), '.js') >= newestMtime(path.join(ROOT, 'src'), '.ts');
  let builtOk = fresh();
  if (!builtOk && entry === 'main') {
    console.log('dist/ is missing or older than src/: npm run build …');
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    builtOk = result.status === 0 && existsSync(built);
    if (!builtOk) console.log('⚠ npm run build failed: running the server from the sources through tsx instead');
  }
  if (builtOk || (entry === 'simulator' && existsSync(built))) return { args: [built], mode: 'built' };
  const source = path.join(ROOT, 'src', entry === 'main' ? 'main.ts' : 'providers/simulator/main.ts');
  return { args: ['--import', 'tsx', source], mode: 'tsx' };
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** performance.now() just before spawn */
  spawnedAt: number;
  /** The last lines of output, for diagnostics. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function spawnChild(name: string, args: string[], env: Record<string, string>): Child {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  children.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    name,
    process: child,
    pid: child.pid,
    spawnedAt,
    output: () => lines.join('\n'),
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` every 10 ms until it answers 200; resolves to ms since the child was spawned. */
export async function waitHealthy(child: Child, url: string, timeoutMs = 60_000): Promise<number> {
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code ?? -1));
  while (performance.now() - child.spawnedAt < timeoutMs) {
    if (exitCode !== undefined) throw new Error(`${child.name} exited (${exitCode}) before it was healthy:\n${child.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200) return performance.now() - child.spawnedAt;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  throw new Error(`${child.name} was not healthy within ${timeoutMs} ms:\n${child.output()}`);
}

/** Resident set size of a process in MB, from /proc/<pid>/status (VmRSS). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** The PSS of `pid` and every process below it (smaps_rollup): pages shared between them counted once in all. */
export async function treePssMb(pid: number): Promise<number> {
  const pss = Number(/^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => ''))?.[1] ?? 0) / 1024;
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = (await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => ''))))
    .flatMap((text) => text.split(' ').filter(Boolean).map(Number));
  const below = await Promise.all(children.map(treePssMb));
  return below.reduce((a, b) => a + b, pss);
}

/** Samples VmRSS every `everyMs` until stopped; `stop` resolves to the peak and the first sample. */
export function sampleRss(pid: number, everyMs = 50): { stop(): Promise<{ peakMb: number; firstMb: number; samples: number }> } {
  let peak = 0;
  let first = NaN;
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const mb = await rssMb(pid);
        if (Number.isNaN(first)) first = mb;
        peak = Math.max(peak, mb);
        samples += 1;
      } catch {
        return;
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { peakMb: peak, firstMb: first, samples };
    },
  };
}
