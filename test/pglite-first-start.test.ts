import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../src/db/data-dir-lock.js';
import { createPgliteDatabaseApart } from '../src/db/pglite-first-start.js';
import { createPgliteDb } from '../src/db/pglite.js';

/** The embedded database of a first start is created by a child process, so the server never carries initdb's memory. */
describe('createPgliteDatabaseApart', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'sv-first-start-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it('creates a missing database in a child, once; the server then opens it as an existing one', async () => {
    expect(await createPgliteDatabaseApart(dataDir)).toBe(true);
    expect(existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'simplevideo.lock'))).toBe(false);
    expect(await createPgliteDatabaseApart(dataDir)).toBe(false);
    const db = await createPgliteDb(path.join(dataDir, 'pgdata'));
    try {
      expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('does not touch a data folder another live process holds', async () => {
    const held = await mkdtemp(path.join(tmpdir(), 'sv-first-start-held-'));
    try {
      await mkdir(held, { recursive: true });
      // The test runner's parent: alive, and not this process.
      await writeFile(path.join(held, 'simplevideo.lock'), String(process.ppid));
      await expect(createPgliteDatabaseApart(held)).rejects.toBeInstanceOf(DataDirLockedError);
      expect(existsSync(path.join(held, 'pgdata'))).toBe(false);
    } finally {
      await rm(held, { recursive: true, force: true });
    }
  });
});
