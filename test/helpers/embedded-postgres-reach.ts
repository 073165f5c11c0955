import { stat } from 'node:fs/promises';
import path from 'node:path';
import { locatePostgresBinaries } from '../../src/db/embedded-postgres-binaries.js';

/** Whether `nobody` (an "other" user) may walk down to `dir`: every folder on the way has o+x. */
async function othersReach(dir: string): Promise<boolean> {
  for (let d = dir; ; d = path.dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * Whether the embedded PostgreSQL can run here: as root its programs run as nobody, who cannot reach them in a
 * checkout under a private folder (/root). Warns once per file when not.
 */
export async function embeddedPostgresRunsHere(): Promise<boolean> {
  const runs = process.getuid?.() !== 0 || (await othersReach(path.dirname((await locatePostgresBinaries()).postgres)));
  if (!runs) console.warn('SKIPPED: the embedded PostgreSQL programs are out of nobody\'s reach here (a checkout under a 0700 folder)');
  return runs;
}
