import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildIfChanged, hashBuildInputs, staleReason } from '../scripts/build-if-changed.mjs';

/** A project with a source, a web page and settings; its "build" writes the outputs the script looks for. */
async function createProject() {
  const root = await mkdtemp(path.join(tmpdir(), 'sv-build-'));
  await mkdir(path.join(root, 'src', 'http'), { recursive: true });
  await mkdir(path.join(root, 'web', 'src'), { recursive: true });
  await writeFile(path.join(root, 'src', 'main.ts'), 'console.log(1);\n');
  await writeFile(path.join(root, 'src', 'http', 'app.ts'), 'export {};\n');
  await writeFile(path.join(root, 'web', 'src', 'app.tsx'), 'export {};\n');
  await writeFile(path.join(root, 'package.json'), '{}\n');
  await writeFile(path.join(root, 'package-lock.json'), '{}\n');
  await writeFile(path.join(root, 'tsconfig.json'), '{}\n');
  const build = vi.fn(() => {
    // Outputs inside the input folders must not count as inputs (web/dist is under web/).
    mkdirSync(path.join(root, 'dist', 'src'), { recursive: true });
    mkdirSync(path.join(root, 'web', 'dist'), { recursive: true });
    writeFileSync(path.join(root, 'dist', 'src', 'main.js'), `// ${Math.random()}\n`);
    writeFileSync(path.join(root, 'web', 'dist', 'index.html'), `<!-- ${Math.random()} -->\n`);
  });
  return { root, build };
}

describe('buildIfChanged', () => {
  let root: string;
  let build: Awaited<ReturnType<typeof createProject>>['build'];
  beforeEach(async () => {
    ({ root, build } = await createProject());
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it('builds a fresh clone, then not again while nothing changed', () => {
    expect(staleReason(root)).toMatch(/missing/);
    expect(buildIfChanged(root, build)).toBe(true);
    expect(staleReason(root)).toBeUndefined();
    expect(buildIfChanged(root, build)).toBe(false);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['a changed source', 'src/http/app.ts'],
    ['a new source', 'src/http/new-route.ts'],
    ['a changed web file', 'web/src/app.tsx'],
    ['a changed lock file', 'package-lock.json'],
    ['a changed compiler setting', 'tsconfig.json'],
    ['a new vite config', 'web/vite.config.ts'],
  ])('builds again after %s', async (_what, file) => {
    buildIfChanged(root, build);
    await writeFile(path.join(root, file), '// changed\n');
    expect(staleReason(root)).toBe('sources changed since the last build');
    expect(buildIfChanged(root, build)).toBe(true);
    expect(build).toHaveBeenCalledTimes(2);
  });

  it('builds again after a source is deleted or an output goes missing', async () => {
    buildIfChanged(root, build);
    await rm(path.join(root, 'src', 'http', 'app.ts'));
    expect(buildIfChanged(root, build)).toBe(true);
    await rm(path.join(root, 'web', 'dist'), { recursive: true });
    expect(staleReason(root)).toBe('web/dist/index.html is missing');
    expect(buildIfChanged(root, build)).toBe(true);
    expect(build).toHaveBeenCalledTimes(3);
  });

  it('records nothing when the build fails, so the next start tries again', async () => {
    buildIfChanged(root, build);
    await writeFile(path.join(root, 'src', 'main.ts'), 'broken(\n');
    expect(() => buildIfChanged(root, () => { throw new Error('tsc failed'); })).toThrow('tsc failed');
    expect(staleReason(root)).toBe('sources changed since the last build');
  });

  it('hashes names as well as contents, and ignores what the build writes', async () => {
    const before = hashBuildInputs(root);
    build();
    expect(hashBuildInputs(root)).toBe(before);
    await rm(path.join(root, 'src', 'main.ts'));
    await writeFile(path.join(root, 'src', 'main2.ts'), 'console.log(1);\n');
    expect(hashBuildInputs(root)).not.toBe(before);
  });
});
