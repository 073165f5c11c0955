import type { Deps } from '../deps.js';
import { archiveCompletedTask } from '../domain/archive/archive-completed.js';
import { createSemaphore } from '../domain/sync/semaphore.js';
import { archiveDepsOf, runtimeOf } from './passes.js';
import type { Loop } from './scheduler.js';

/** Copies made at completion at once, per process: the rest wait their turn (downloads are network- and disk-bound). */
const COPIES_AT_ONCE = 2;

/**
 * Copies each task's files into storage as soon as its completion is committed in this process, instead of up to
 * ARCHIVE_INTERVAL_MS later: the provider's address may not outlive that wait (the development simulator's lives as
 * long as the process). Each copy runs after the recording transaction, under its own archive lease
 * (archiveCompletedTask); the archive pass remains the safety net for copies that fail, and for completions
 * recorded where this does not run (ROLE=api). stop() stops listening and waits for the copies under way.
 */
export function startArchiveOnCompletion(deps: Deps): Loop {
  const runtime = runtimeOf(deps);
  const slots = createSemaphore(COPIES_AT_ONCE);
  const running = new Set<Promise<void>>();
  const archive = async (taskId: number) => {
    const result = await slots.run(() => archiveCompletedTask(archiveDepsOf(deps), taskId, runtime.nextLeaseOwner('completed')));
    if (result?.success) deps.logger.info({ taskId, resultUrl: result.r2VideoUrl }, 'archived a task at completion');
  };
  const unsubscribe = runtime.onCompleted((taskId) => {
    const copy = archive(taskId)
      .catch((err: unknown) => deps.logger.error({ err, taskId }, 'archive at completion failed; the archive pass will retry'))
      .finally(() => running.delete(copy));
    running.add(copy);
  });
  return {
    async stop() {
      unsubscribe();
      await Promise.all(running);
    },
  };
}
