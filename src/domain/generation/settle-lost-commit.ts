import { setTimeout as sleep } from 'node:timers/promises';
import { isDatabaseUnavailable } from '../../db/connection-errors.js';
import { claimLostSubmission, type LostSubmission } from '../../db/queries/tasks.js';
import { asService } from '../../db/scope.js';
import type { Product } from '../catalog.js';
import type { GenerationDeps } from './create-task.js';
import type { GenerationInput } from './request.js';
import { submitGraceMs, submitRecordedTask } from './submit.js';
import { removeUploads, type StoredUploads } from './uploads.js';

/** A generation request whose recording statement lost its connection: it may or may not have committed. */
export interface LostCommit {
  product: Product;
  input: GenerationInput;
  callbackToken: string;
  uploads: StoredUploads;
}

/** Checks for the task, every second while the database is away, then at growing intervals once it answers. */
const CHECK_EVERY_MS = 1_000;
/** Absent at this many answered checks (1 s, 2 s and 4 s apart): the statement did not commit, and never will. */
const ABSENT_CHECKS = 3;

/**
 * A request answered 503 because its statement's connection broke may have committed its charge and task all the
 * same. Left alone, that task waits for the sync pass's recovery after its grace, and a retry with the request's
 * Idempotency-Key answers 409 until then. This process still holds what the request sent, so it settles it in the
 * background: as soon as the database answers, a committed task is taken back (its grace renewed) and submitted as
 * the request would have; a task that never appears leaves its uploads removed. If this process dies meanwhile, the
 * sync pass recovers the task as for any request that died. Never throws.
 */
export function settleLostCommit(deps: GenerationDeps, lost: LostCommit): void {
  void settle(deps, lost).catch((err: unknown) => deps.logger.warn({ err }, 'could not settle a generation whose commit went unanswered'));
}

async function settle(deps: GenerationDeps, lost: LostCommit): Promise<void> {
  const giveUpAt = Date.now() + submitGraceMs(deps);
  let wait = CHECK_EVERY_MS;
  let absent = 0;
  while (Date.now() < giveUpAt) {
    await sleep(wait, undefined, { ref: false });
    const found = await findLostTask(deps, lost);
    if (found === 'unreachable') continue;
    if (found.kind === 'elsewhere') return;
    if (found.kind === 'claimed') {
      deps.logger.warn({ taskId: found.taskId }, 'submitting a task whose commit went unanswered');
      await submitRecordedTask(deps, { ...found, product: lost.product, input: lost.input, callbackToken: lost.callbackToken });
      return;
    }
    if (++absent === ABSENT_CHECKS) break;
    wait *= 2;
  }
  // Past the grace, a task that appeared late is the sync pass's, which reads its images back: keep them.
  if (absent === ABSENT_CHECKS) await removeUploads(deps, lost.uploads);
}

async function findLostTask(deps: GenerationDeps, lost: LostCommit): Promise<LostSubmission | 'unreachable'> {
  try {
    return await asService(deps.db, (tx) => claimLostSubmission(tx, { callbackToken: lost.callbackToken, graceMs: submitGraceMs(deps) }));
  } catch (error) {
    if (isDatabaseUnavailable(error)) return 'unreachable';
    throw error;
  }
}
