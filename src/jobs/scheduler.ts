import { deleteStaleAttempts } from '../db/queries/auth-attempt-limits.js';
import { deleteIdleSessions } from '../db/queries/auth-sessions.js';
import { deleteExpiredEmailTokens } from '../db/queries/email-tokens.js';
import { deleteExpiredIdempotencyKeys } from '../db/queries/idempotency.js';
import { asService } from '../db/scope.js';
import type { Deps } from '../deps.js';
import { ATTEMPT_COUNTERS_KEPT_MS } from '../domain/auth-limits.js';
import type { Log } from '../log.js';
import { startArchiveOnCompletion } from './archive-on-completion.js';
import { runArchiveOnce, runSyncOnce } from './passes.js';

export interface Scheduler {
  /** Stops the timers and the draining of backlogs, and waits for the batches under way. */
  stop(): Promise<void>;
}

/** Expired Idempotency-Keys, sign-in counters and sessions are purged this often. */
const PURGE_INTERVAL_MS = 3600_000;
/** The first passes run shortly after start, not a full interval later. */
const FIRST_RUN_DELAY_MS = 1_000;

export interface Loop {
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`; an interval of 0 runs nothing (the loop is off). A tick that finds the previous
 * run still going is skipped, so one process never runs the same pass twice at once (other processes may: leases
 * keep them off each other's tasks). Timers are unref'd: they never keep the process alive on their own. stop()
 * aborts `signal`, so a run takes no new work (see drain), and waits for the run.
 */
export function startLoop(name: string, intervalMs: number, run: (signal: AbortSignal) => Promise<unknown>, logger: Log): Loop {
  if (intervalMs === 0) {
    logger.info({ pass: name }, 'pass turned off (interval 0)');
    return { stop: async () => undefined };
  }
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const tick = () => {
    if (stopping.signal.aborted) return;
    if (running) {
      logger.debug({ pass: name }, 'previous run still going; skipping this tick');
      return;
    }
    running = run(stopping.signal)
      .then(() => undefined, (err: unknown) => logger.error({ err, pass: name }, 'pass failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(tick, Math.min(FIRST_RUN_DELAY_MS, intervalMs));
  const timer = setInterval(tick, intervalMs);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopping.abort();
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}

/** A bound on back-to-back passes, so one loop cannot monopolise the process however large the backlog. */
const MAX_BACK_TO_BACK = 50;

/**
 * Runs a pass again at once while it keeps finding a full batch: a backlog drains at full speed instead of one
 * batch per interval, and a quiet system still costs one small query per interval. Once `signal` aborts (the
 * process is stopping), no further batch is leased: the backlog is left to the other instances.
 */
export async function drain(run: () => Promise<unknown[]>, batchSize: number, signal?: AbortSignal): Promise<void> {
  for (let i = 0; i < MAX_BACK_TO_BACK && !signal?.aborted; i++) {
    const results = await run();
    if (results.length < batchSize) return;
  }
}

/**
 * Expired Idempotency-Keys (as service_role), sign-in counters, sessions idle past SESSION_IDLE_TIMEOUT_SECONDS and
 * expired mailed-link tokens (ours alone: as the connection's role).
 */
export async function purgeExpired(deps: Deps): Promise<void> {
  const now = deps.clock.now().getTime();
  await asService(deps.db, (tx) => deleteExpiredIdempotencyKeys(tx));
  await deleteStaleAttempts(deps.db, new Date(now - ATTEMPT_COUNTERS_KEPT_MS));
  await deleteIdleSessions(deps.db, new Date(now - deps.config.SESSION_IDLE_TIMEOUT_SECONDS * 1000));
  await deleteExpiredEmailTokens(deps.db, new Date(now));
}

/**
 * Starts the sync pass (SYNC_INTERVAL_MS), the archive pass (ARCHIVE_INTERVAL_MS) with the copy at completion
 * (archive-on-completion.ts; off with the pass), and the purge of expired rows.
 */
export function startScheduler(deps: Deps): Scheduler {
  const { config, logger } = deps;
  const archiving = config.ARCHIVE_INTERVAL_MS > 0;
  const loops = [
    startLoop('sync', config.SYNC_INTERVAL_MS, (signal) => drain(() => runSyncOnce(deps), config.SYNC_BATCH_SIZE, signal), logger),
    startLoop('archive', config.ARCHIVE_INTERVAL_MS, (signal) => drain(() => runArchiveOnce(deps), config.ARCHIVE_BATCH_SIZE, signal), logger),
    ...(archiving ? [startArchiveOnCompletion(deps)] : []),
    startLoop('purge', PURGE_INTERVAL_MS, () => purgeExpired(deps), logger),
  ];
  logger.info({ syncIntervalMs: config.SYNC_INTERVAL_MS, archiveIntervalMs: config.ARCHIVE_INTERVAL_MS }, 'scheduler started');
  return {
    async stop() {
      await Promise.all(loops.map((loop) => loop.stop()));
    },
  };
}
