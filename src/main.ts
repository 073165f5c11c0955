import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createDeps } from './compose.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { loadDotEnv } from './dot-env.js';
import { buildApp } from './http/app.js';
import type { App } from './http/types.js';
import { releaseLeases } from './jobs/passes.js';
import { startScheduler, type Scheduler } from './jobs/scheduler.js';
import type { Deps } from './deps.js';
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
    logger.info({ signal, boundMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down');
    await shutDown(app, scheduler, deps);
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

/** How often, while stopping, sockets whose request has finished are closed. */
const REAP_IDLE_MS = 100;

/**
 * Bounded by SHUTDOWN_TIMEOUT_MS: the server stops accepting and ends its event streams (clients come back through
 * another instance with Last-Event-ID) while requests in flight finish; meanwhile the passes take no new work, and
 * once they have stopped this process's leases are released, so other instances take its tasks at their next pass.
 * Past the bound, the remaining connections are closed and the leases released whatever still runs: a write under a
 * lease another instance has taken since is refused (db/queries/sync.ts, archive.ts).
 */
async function shutDown(app: App, scheduler: Scheduler | undefined, deps: Deps): Promise<void> {
  const { logger } = deps;
  const bound = new Promise<'timeout'>((resolve) => setTimeout(resolve, deps.config.SHUTDOWN_TIMEOUT_MS, 'timeout').unref());
  // server.close() closes only the keep-alive sockets idle at that moment; one whose request finishes later would
  // otherwise stay open for keepAliveTimeout (72 s) and hold the close.
  const reaper = setInterval(() => app.server.closeIdleConnections(), REAP_IDLE_MS);
  const closing = app.close();
  const passes = (async () => {
    if ((await Promise.race([scheduler?.stop(), bound])) === 'timeout') logger.warn('passes still running at the shutdown bound');
    const released = await releaseLeases(deps);
    logger.info(released, 'leases released');
  })().catch((err: unknown) => logger.error({ err }, 'could not release leases: they expire after LEASE_MS'));
  if ((await Promise.race([closing, bound])) === 'timeout') {
    logger.warn('requests still in flight at the shutdown bound: closing their connections');
    app.server.closeAllConnections();
    await closing;
  }
  clearInterval(reaper);
  await passes;
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
