import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDataDir, restrictToOwner } from './data-dir.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sv-data-dir-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('prepareDataDir', () => {
  it('creates a missing folder owner-only, and what the process creates afterwards too', async () => {
    const dir = path.join(root, 'new', 'data');
    expect(await prepareDataDir(dir)).toBeUndefined();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await writeFile(path.join(dir, 'secret'), 'x');
    expect((await stat(path.join(dir, 'secret'))).mode & 0o777).toBe(0o600);
  });

  it('warns about an existing folder that others can reach, and leaves it as the operator made it', async () => {
    const dir = path.join(root, 'loose');
    await prepareDataDir(dir);
    await chmod(dir, 0o755);
    expect(await prepareDataDir(dir)).toBe(`DATA_DIR ${dir} can be reached by other users (mode 755): run chmod -R go-rwx ${dir}`);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    await chmod(dir, 0o700);
    expect(await prepareDataDir(dir)).toBeUndefined();
  });
});

describe('restrictToOwner', () => {
  it('takes group and other permissions off every file and folder below', async () => {
    const dir = path.join(root, 'tree');
    await prepareDataDir(path.join(dir, 'a', 'b'));
    const file = path.join(dir, 'a', 'b', 'f');
    await writeFile(file, 'x');
    await chmod(file, 0o666);
    await chmod(path.join(dir, 'a'), 0o755);
    await restrictToOwner(dir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'a'))).mode & 0o777).toBe(0o700);
  });
});
