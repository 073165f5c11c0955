import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../project-root.js';
import { lockDataDir } from './data-dir-lock.js';

/**
 * Creating an embedded database (PGlite's initdb) takes about 800 MB of memory that V8 does not hand back until
 * a full garbage collection, which a quiet server may not run for hours: a first start then held ~830 MB where a
 * later one holds ~370 MB (docs/performance.md). So a missing database is created by a short-lived child process,
 * under the data folder's lock; this process then opens it as it opens an existing one. Nothing to do when
 * `dataDir/pgdata` already holds a database.
 */
export async function createPgliteDatabaseApart(dataDir: string): Promise<boolean> {
  const pgdata = path.join(dataDir, 'pgdata');
  if (existsSync(path.join(pgdata, 'PG_VERSION'))) return false;
  const release = await lockDataDir(dataDir);
  try {
    await runInitdb(pgdata);
    return true;
  } finally {
    await release();
  }
}

/** The child needs nothing of ours: PGlite's own create, then close (resolved from the project's node_modules). */
const INITDB = `import { PGlite } from '@electric-sql/pglite';
const db = await PGlite.create({ dataDir: process.argv[1] });
await db.close();`;

function runInitdb(pgdata: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', INITDB, pgdata], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`creating the embedded database in ${pgdata} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`)),
    );
  });
}
