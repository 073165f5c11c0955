import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate.js';
import { createPgliteDb } from '../src/db/pglite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

/**
 * Migrating a fresh PGlite costs seconds; loading a migrated copy costs well under one. So the suite migrates one
 * PGlite, keyed by the migrations' content, and every test file starts from a copy of it.
 */
export default async function setup(project: TestProject): Promise<void> {
  const hash = createHash('sha256');
  for (const name of (await readdir(MIGRATIONS_DIR)).sort()) hash.update(name).update(await readFile(path.join(MIGRATIONS_DIR, name)));
  const file = path.join(tmpdir(), `simplevideo-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
  if (!existsSync(file)) {
    const db = await createPgliteDb();
    await migrate(db);
    const dump = await db.dumpDataDir();
    await db.close();
    await writeFile(`${file}.${process.pid}`, Buffer.from(await dump.arrayBuffer()));
    await rename(`${file}.${process.pid}`, file);
  }
  project.provide('pgliteTemplate', file);
}
