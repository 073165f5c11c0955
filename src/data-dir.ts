import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Makes what this process creates owner-only (umask 077: folders 0700, files 0600, as PostgreSQL itself does) and
 * creates DATA_DIR so. DATA_DIR holds the embedded database (emails, password hashes, balances), the development
 * JWT secret and local media: no other local user may read or change them. An existing folder is not changed
 * behind the operator's back; resolves to a warning when others may reach it.
 */
export async function prepareDataDir(dir: string): Promise<string | undefined> {
  process.umask(0o077);
  const existing = await stat(dir).catch(() => undefined);
  if (!existing) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return undefined;
  }
  const mode = existing.mode & 0o777;
  if ((mode & 0o077) === 0) return undefined;
  return `DATA_DIR ${dir} can be reached by other users (mode ${mode.toString(8)}): run chmod -R go-rwx ${dir}`;
}

/**
 * Takes group and other permissions off every file and folder under `dir`. PGlite's file system layer creates its
 * files 0666 whatever the umask; they sit in owner-only folders, and this sweep, at open and at close, leaves them
 * owner-only on disk too.
 */
export async function restrictToOwner(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const { mode } = await stat(file);
    if ((mode & 0o077) !== 0) await chmod(file, mode & 0o700);
  }
}
