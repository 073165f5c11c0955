import type { Db } from '../../db/db.js';
import { currentTaskSnapshot, findTaskChangesSince } from '../../db/queries/task-changes.js';
import { asService } from '../../db/scope.js';
import type { Log } from '../../log.js';
import type { TaskChange } from './task-events.js';

/**
 * Polls for task changes every `periodMs`, for a process that cannot LISTEN (behind a transaction pooler with no
 * listen URL). Each change committed after the call resolves is reported once, in the poll after its commit: a
 * poll reads what its predecessor's snapshot could not see (db/queries/task-changes.ts). A failed poll is logged
 * and retried from the same snapshot, so nothing is lost. Resolves to a stop function.
 */
export async function pollTaskChanges(
  db: Db,
  periodMs: number,
  onChange: (change: TaskChange) => void,
  logger: Log,
): Promise<() => Promise<void>> {
  // As the service role: the poll spans every user's tasks, as the trigger's NOTIFY does.
  let snapshot = await asService(db, (tx) => currentTaskSnapshot(tx));
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const poll = async () => {
    try {
      const result = await asService(db, (tx) => findTaskChangesSince(tx, snapshot));
      snapshot = result.snapshot;
      for (const change of result.changes) onChange(change);
    } catch (err) {
      logger.warn({ err }, 'polling for task changes failed; retrying');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = poll().then(schedule);
    }, periodMs);
    timer.unref();
  };
  schedule();

  return async () => {
    stopped = true;
    clearTimeout(timer);
    await inFlight;
  };
}
