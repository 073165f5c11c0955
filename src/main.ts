import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDeps } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { loadDotEnv } from './dot-env.js';
import { buildApp } from './http/app.js';
import { startScheduler } from './jobs/scheduler.js';
import { createLogger } from './logger.js';
import { PROJECT_ROOT } from './project-root.js';

const WEB_ROOT = path.join(PROJECT_ROOT, 'web', 'dist');

async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config);
  const composition = await createDeps(config, logger);
  const { deps } = composition;
  const app = await buildApp(deps, {
    mediaRoot: composition.mediaRoot,
    webRoot: existsSync(WEB_ROOT) ? WEB_ROOT : undefined,
    mailOutbox: composition.mailOutbox,
  });
  if (!existsSync(WEB_ROOT)) logger.warn('web/dist not found: serving the API only (npm run build makes the web app)');
  const scheduler = config.ROLE === 'api' ? undefined : startScheduler(deps);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await scheduler?.stop();
    await app.close();
    await composition.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const facts = { role: config.ROLE, database: deps.db.kind, storage: deps.storage.driver };
  if (config.ROLE === 'worker') {
    await app.ready();
    logger.info(facts, 'SimpleVideo worker started (no HTTP: it runs the sync and archive passes)');
    return;
  }
  await app.listen({ port: config.PORT, host: config.HOST });
  const url = addressToOpen(config, app.server.address());
  logger.info({ ...facts, url }, `SimpleVideo is running: open ${url}`);
}

/**
 * The address a person should open: PUBLIC_URL when set; else the bound address, with a wildcard host (0.0.0.0,
 * ::) shown as localhost, which is where the person starting it can reach it.
 */
function addressToOpen(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>, bound: AddressInfo | string | null): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  const port = bound && typeof bound === 'object' ? bound.port : config.PORT;
  const host = ['0.0.0.0', '::', ''].includes(config.HOST) ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${port}/`;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
