import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/project-root.js';

const read = (file: string) => readFile(path.join(PROJECT_ROOT, file), 'utf8');

/** What cannot run here (no Docker daemon, no systemd as PID 1) is held to what can: the same script, the same names. */
describe('deployment files', () => {
  it('the Dockerfile runs deploy/image/build.sh and starts what the test starts, as a user that is not root', async () => {
    const dockerfile = await read('Dockerfile');
    const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+\b/.test(line));
    expect(instructions.filter((line) => line.startsWith('FROM '))).toHaveLength(2);
    // The one RUN of ours: the script CI tests; the runtime stage only installs ffmpeg and makes DATA_DIR.
    expect(instructions).toContain('RUN bash deploy/image/build.sh /src /app');
    expect(instructions).toContain('COPY --from=build /app /app');
    expect(instructions).toContain('USER node');
    expect(instructions).toContain('CMD ["node", "dist/src/main.js"]');
    expect(dockerfile).toMatch(/^HEALTHCHECK .* CMD \["node", "deploy\/image\/healthcheck\.mjs"\]$/m);
    const build = await read('deploy/image/build.sh');
    expect(build).toContain('deploy/image/healthcheck.mjs');
  });

  it('.dockerignore keeps build output, dependencies, local data and secrets out of the context', async () => {
    const entries = (await read('.dockerignore')).split('\n').filter((l) => l && !l.startsWith('#'));
    for (const entry of ['.git', '**/node_modules', 'dist', 'web/dist', 'data', '.env']) expect(entries).toContain(entry);
  });

  it('names only variables the service reads: the env example, compose.yaml, the systemd unit', async () => {
    const known = new Set(CONFIG_VARIABLES);
    const example = Object.keys(parseEnv(await read('deploy/simplevideo.env.example')));
    expect(example.filter((key) => !known.has(key))).toEqual([]);
    for (const key of ['NODE_ENV', 'TRUST_PROXY', 'PUBLIC_URL', 'DATABASE_URL', 'JWT_SECRET', 'CRON_SECRET', 'STORAGE_DRIVER', 'S3_PUBLIC_URL']) {
      expect(example).toContain(key);
    }
    const compose = await read('compose.yaml');
    const appEnvironment = /^x-app-environment: &app-environment\n((?: {2}.*\n)+)/m.exec(compose)?.[1] ?? '';
    const composeKeys = [...appEnvironment.matchAll(/^ {2}([A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(composeKeys.length).toBeGreaterThan(10);
    expect(composeKeys.filter((key) => !known.has(key!))).toEqual([]);
    const unit = await read('deploy/systemd/simplevideo.service');
    expect(unit).toMatch(/^ReadWritePaths=\/var\/lib\/simplevideo$/m);
    expect(parseEnv(await read('deploy/simplevideo.env.example')).DATA_DIR).toBe('/var/lib/simplevideo');
  });

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('the systemd unit passes systemd-analyze verify', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sv-unit-'));
    try {
      // verify checks that ExecStart's program exists: point it at this machine's node when it lives elsewhere.
      const unit = await read('deploy/systemd/simplevideo.service');
      const file = path.join(dir, 'simplevideo.service');
      if (existsSync('/usr/bin/node')) await copyFile(path.join(PROJECT_ROOT, 'deploy/systemd/simplevideo.service'), file);
      else await writeFile(file, unit.replace('/usr/bin/node', process.execPath));
      const { stderr } = await promisify(execFile)('systemd-analyze', ['verify', file]);
      expect(stderr).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('docs/deploying.md links only to files that exist', async () => {
    const page = await read('docs/deploying.md');
    const links = [...page.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    const missing = links.filter((link) => !existsSync(path.join(PROJECT_ROOT, 'docs', link)));
    expect(missing).toEqual([]);
  });
});
