import { existsSync } from 'node:fs';
import path from 'node:path';
import { createDeps } from './compose.js';
import { ConfigError, loadConfig } from './config.js';
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

  if (config.ROLE !== 'worker') {
    await app.listen({ port: config.PORT, host: config.HOST });
  } else {
    await app.ready();
  }
  logger.info({ role: config.ROLE, database: deps.db.kind, storage: deps.storage.driver }, 'SimpleVideo started');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exit(1);
});
