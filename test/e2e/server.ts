import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { createDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { buildApp } from '../../src/http/app.js';
import { startScheduler } from '../../src/jobs/scheduler.js';
import { createLogger } from '../../src/logger.js';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

export const E2E_JWT_SECRET = 'e2e-secret-e2e-secret-e2e-secret-0123456';

export interface BundleSize {
  files: Array<{ file: string; raw: number; gzip: number }>;
  raw: number;
  gzip: number;
}

/**
 * Builds the web app from the current sources into `outDir` (a folder of the test's own, so a stale or missing
 * `web/dist` never matters and a running dev server's `web/dist` is left alone) and measures what a browser
 * downloads: every file raw and gzipped.
 */
export async function buildWebApp(outDir: string): Promise<BundleSize> {
  await build({
    configFile: path.join(PROJECT_ROOT, 'web', 'vite.config.ts'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  });
  const files: BundleSize['files'] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const body = await readFile(full);
        files.push({ file: path.relative(outDir, full), raw: (await stat(full)).size, gzip: gzipSync(body, { level: 9 }).length });
      }
    }
  };
  await walk(outDir);
  const sum = (k: 'raw' | 'gzip') => files.reduce((n, f) => n + f[k], 0);
  return { files, raw: sum('raw'), gzip: sum('gzip') };
}

export interface E2eServer {
  url: string;
  deps: Deps;
  close(): Promise<void>;
}

/**
 * The real server as `src/main.ts` composes it (config from the environment, createDeps with the in-process
 * provider simulator, the HTTP app serving the built web app, the scheduler), on a random loopback port.
 * The embedded database in a temporary DATA_DIR, or a fresh database of its own when DATABASE_URL is set.
 */
export async function startE2eServer(webRoot: string, env: Record<string, string> = {}): Promise<E2eServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sv-e2e-data-'));
  let testDb: TestDb | undefined;
  // A fresh, migrated database of its own, which the server opens its own pool to; without DATABASE_URL the server
  // makes the embedded default in DATA_DIR on its first start, as `npm start` does.
  if (process.env.DATABASE_URL) testDb = await createTestDb();
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    ...testDb?.env,
    JWT_SECRET: E2E_JWT_SECRET,
    LOG_LEVEL: 'silent',
    SIMULATOR_DELAY_MS: '1500',
    SYNC_INTERVAL_MS: '300',
    ARCHIVE_INTERVAL_MS: '300',
    ...env,
  });
  const logger = createLogger(config);
  const composition = await createDeps(config, logger);
  const { deps } = composition;
  const app = await buildApp(deps, { mediaRoot: composition.mediaRoot, webRoot, mailOutbox: composition.mailOutbox });
  const scheduler = startScheduler(deps);
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (error) {
    await scheduler.stop();
    await app.close();
    await composition.close();
    throw error;
  }
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    deps,
    async close() {
      await scheduler.stop();
      await app.close();
      await composition.close();
      await testDb?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
