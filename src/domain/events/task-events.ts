import { z } from 'zod';
import type { Db } from '../../db/db.js';
import type { Log } from '../../log.js';
import { pollTaskChanges } from './task-change-poller.js';

/** The NOTIFY channel the task_status_changed trigger (migration 0005) announces on. */
export const TASK_CHANGES_CHANNEL = 'task_changes';

const payloadSchema = z.object({ taskId: z.union([z.number(), z.string()]).transform(Number), userId: z.string().nullable() });

export type TaskChange = z.output<typeof payloadSchema>;

/** One subscriber: told of each change of its user's tasks, and of a gap in which changes may have gone untold. */
export interface TaskChangeListener {
  onChange(change: TaskChange): void;
  onGap(): void;
}

/** Fans task changes out to the connected clients of one process. */
export interface TaskEventHub {
  /** Tells `listener` of each change of `userId`'s tasks, and of any gap, until the returned function is called. */
  subscribe(userId: string, listener: TaskChangeListener): Promise<() => void>;
  close(): Promise<void>;
}

/**
 * One LISTEN per process, however many clients are connected: opened with the first subscriber, closed with the
 * last. The trigger fires in every instance's database session, so a change made by any instance reaches the
 * clients of every instance. On PGlite, notifications stay in-process, which is all PGlite serves.
 * When the LISTEN connection comes back after a drop (PostgreSQL restarted), what was notified in between is lost:
 * every subscriber is told of the gap. Where the database cannot LISTEN (a transaction pooler without a listen URL),
 * one poll loop every `pollMs` stands in for the LISTEN, with the same lifetime; it has no gaps (a failed poll is
 * retried from the same snapshot).
 */
export function createTaskEventHub(db: Db, logger: Log, options: { pollMs: number }): TaskEventHub {
  const byUser = new Map<string, Set<TaskChangeListener>>();
  let unlisten: Promise<() => Promise<void>> | undefined;

  const dispatch = (change: TaskChange) => {
    if (!change.userId) return;
    for (const listener of byUser.get(change.userId) ?? []) listener.onChange(change);
  };
  const dispatchPayload = (payload: string) => {
    let change: TaskChange;
    try {
      change = payloadSchema.parse(JSON.parse(payload));
    } catch {
      logger.warn({ payload }, 'unreadable task_changes notification');
      return;
    }
    dispatch(change);
  };
  const tellGap = () => {
    logger.warn('the LISTEN connection is back after a drop: ending event streams, which resume from their cursors');
    for (const listeners of byUser.values()) for (const listener of listeners) listener.onGap();
  };
  const start = () =>
    db.canListen ? db.listen(TASK_CHANGES_CHANNEL, dispatchPayload, tellGap) : pollTaskChanges(db, options.pollMs, dispatch, logger);

  const stopListening = async () => {
    const pending = unlisten;
    unlisten = undefined;
    if (pending) await (await pending)().catch((err: unknown) => logger.warn({ err }, 'unlisten failed'));
  };

  return {
    async subscribe(userId, listener) {
      if (!unlisten) {
        unlisten = start();
        unlisten.catch(() => {
          unlisten = undefined;
        });
      }
      await unlisten;
      const set = byUser.get(userId) ?? new Set<TaskChangeListener>();
      set.add(listener);
      byUser.set(userId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) byUser.delete(userId);
        if (byUser.size === 0) void stopListening();
      };
    },
    async close() {
      byUser.clear();
      await stopListening();
    },
  };
}
