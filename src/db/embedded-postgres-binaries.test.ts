import { chmod, chown, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachableCopy } from './embedded-postgres-binaries.js';

const isRoot = process.getuid?.() === 0;

describe('reachableCopy: the programs where nobody can run them', () => {
  let root: string;
  let hidden: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sv-pg-binaries-'));
    // As a checkout under /root: a private folder above the package (mkdtemp makes it 0700), with modes as a umask
    // of 077 leaves them.
    hidden = path.join(root, 'private', 'native');
    await mkdir(path.join(hidden, 'bin'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(hidden, 'lib'), { mode: 0o700 });
    await writeFile(path.join(hidden, 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o700 });
    await writeFile(path.join(hidden, 'lib', 'libpq.so.5.18'), 'library', { mode: 0o600 });
    await symlink('libpq.so.5.18', path.join(hidden, 'lib', 'libpq.so.5'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('uses the package in place when others can reach it', async () => {
    const open = path.join(root, 'open');
    await mkdir(open, { mode: 0o755 });
    await chmod(root, 0o755);
    expect(await reachableCopy(open, root, 'v0')).toBe(open);
  });

  it.runIf(isRoot)('as root, copies a package out of reach: readable and runnable by others, changeable by root alone', async () => {
    await chmod(path.join(root, 'private'), 0o700);
    const copy = await reachableCopy(hidden, root, 'v1');
    expect(copy).toBe(path.join(root, 'simplevideo-postgres-v1'));
    const mode = async (p: string) => (await stat(p)).mode & 0o777;
    expect(await mode(copy)).toBe(0o755);
    expect(await mode(path.join(copy, 'bin', 'postgres'))).toBe(0o755);
    expect(await mode(path.join(copy, 'lib', 'libpq.so.5.18'))).toBe(0o644);
    expect(await readlink(path.join(copy, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    // A second start finds the copy and keeps it.
    expect(await reachableCopy(hidden, root, 'v1')).toBe(copy);
  });

  it.runIf(isRoot)('as root, replaces a folder of that name that another user made', async () => {
    const planted = path.join(root, 'simplevideo-postgres-v2');
    await mkdir(path.join(planted, 'bin'), { recursive: true });
    await writeFile(path.join(planted, 'bin', 'postgres'), 'evil', { mode: 0o755 });
    await chown(planted, 65_534, 65_534);
    expect(await reachableCopy(hidden, root, 'v2')).toBe(planted);
    expect((await stat(planted)).uid).toBe(0);
    expect(await readFile(path.join(planted, 'bin', 'postgres'), 'utf8')).toBe('#!/bin/sh\n');
  });
});
