import { failAndRefundTask } from '../../db/queries/refunds.js';
import type { SyncLease } from '../../db/queries/leases.js';
import { claimForFailure, recordCompleted, recordProcessing, recordRetry } from '../../db/queries/sync.js';
import { asService, asServiceStatements } from '../../db/scope.js';
import type { ProviderError, ProviderStatus } from '../../providers/video-provider.js';
import { isOperatorProblem } from '../provider-failure.js';
import { backoffDelayMs, SYNC_BACKOFF } from './backoff.js';
import { resultUrlProblem } from './result-url.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';

/**
 * What the provider reported can be asked again: such records need not wait for the disk flush (see
 * asServiceStatements). Failures carry a refund and are committed durably (failTask).
 */
const RELEARNABLE = { waitForFlush: false };

export const UNUSABLE_RESULT_REASON = 'The provider delivered the video at an address we cannot accept; your credits have been refunded';

/** Who records: the lease owner during a pass, or null for a provider callback. */
export interface RecordTarget {
  taskId: number;
  owner: string | null;
}

/**
 * Records what the provider said, the same way for polling and for callbacks. Every write is guarded (see
 * db/queries/sync.ts), so repeated or out-of-order reports change nothing twice and the refund happens once.
 * Result URLs are checked first (resultUrlProblem): a refused video URL fails the task, a refused thumbnail is dropped.
 * A completion, once committed, is told to `onCompleted`.
 */
export async function recordProviderStatus(
  deps: Pick<SyncDeps, 'db' | 'clock' | 'logger' | 'allowHttpResults' | 'onCompleted'>,
  target: RecordTarget,
  status: ProviderStatus,
  nextPollAt: Date,
): Promise<SyncResult> {
  const { taskId } = target;
  switch (status.state) {
    case 'processing': {
      const changed = await asServiceStatements(deps.db, (q) => recordProcessing(q, { ...target, nextAttemptAt: nextPollAt }), RELEARNABLE);
      return { taskId, success: changed, newStatus: 'processing' };
    }
    case 'completed': {
      const problem = resultUrlProblem(status.videoUrl, deps.allowHttpResults);
      if (problem) return refuseResult(deps, target, problem);
      const thumbnailUrl = acceptableThumbnail(deps, taskId, status.thumbnailUrl);
      // Each of recordCompleted's guarded updates stands alone, so each may be its own one-round-trip transaction.
      const outcome = await asServiceStatements(
        deps.db,
        (q) => recordCompleted(q, { ...target, videoUrl: status.videoUrl, thumbnailUrl, now: deps.clock.now() }),
        RELEARNABLE,
      );
      if (outcome === 'late_after_refund') {
        deps.logger.warn({ taskId, videoUrl: status.videoUrl }, 'provider finished a task after our timeout refunded it: recorded as completed, refund kept');
      }
      if (outcome === 'unchanged') return { taskId, success: false, newStatus: 'unchanged' };
      deps.onCompleted?.(taskId);
      return { taskId, success: true, newStatus: 'completed', resultUrl: status.videoUrl, ...(thumbnailUrl ? { thumbnailUrl } : {}) };
    }
    case 'failed': {
      const refunded = await failTask(deps, target, status.reason, false);
      return { taskId, success: refunded, newStatus: 'failed', ...(refunded ? {} : { error: 'already finished or lease lost' }) };
    }
  }
}

/**
 * The provider says the task is finished, but its video URL may not be stored or shown. The task fails with a refund
 * now rather than being asked again: a finished task's URL does not change, so retrying would only hold the user's
 * credits until our timeout refunded them anyway.
 */
async function refuseResult(deps: Pick<SyncDeps, 'db' | 'logger'>, target: RecordTarget, problem: string): Promise<SyncResult> {
  const { taskId } = target;
  deps.logger.error({ taskId, problem }, 'provider reported a video URL we do not accept; failing the task with a refund');
  const failed = await failTask(deps, target, UNUSABLE_RESULT_REASON, false);
  return { taskId, success: failed, newStatus: 'failed', error: `video URL refused: ${problem}` };
}

/** A thumbnail is a nicety: one we may not store is dropped (the archive pass makes its own) and the video kept. */
function acceptableThumbnail(deps: Pick<SyncDeps, 'logger' | 'allowHttpResults'>, taskId: number, url: string | null): string | null {
  const problem = url === null ? undefined : resultUrlProblem(url, deps.allowHttpResults);
  if (!problem) return url;
  deps.logger.warn({ taskId, problem }, 'provider reported a thumbnail URL we do not accept; dropped');
  return null;
}

/**
 * Fails the task and refunds its charge in one transaction, exactly once (failAndRefundTask's guard), and only
 * while `owner` still holds the lease. `timedOut` marks our own timeout, which a late success may still overturn.
 */
export async function failTask(
  deps: Pick<SyncDeps, 'db' | 'logger'>,
  target: RecordTarget,
  reason: string,
  timedOut: boolean,
): Promise<boolean> {
  // claimForFailure holds the row lock until commit, so failAndRefundTask's own guard cannot then miss.
  const outcome = await asService(deps.db, async (tx) => {
    if (!(await claimForFailure(tx, { ...target, timedOut }))) return { failed: false, refunded: null };
    return { failed: true, refunded: await failAndRefundTask(tx, target.taskId, reason) };
  });
  if (outcome.failed) deps.logger.info({ taskId: target.taskId, reason, refunded: outcome.refunded }, 'task failed; credits refunded');
  return outcome.failed;
}

/**
 * Any provider error while polling is retried with backoff: a 429's Retry-After is honoured, and our own timeout
 * bounds the whole thing. An `unauthorized` or `account` error is our credentials or account, not the task's fault:
 * it is retried too (the task may still finish), and logged at error level for the operator.
 */
export async function retryLater(deps: SyncDeps, lease: SyncLease, owner: string, error: ProviderError): Promise<SyncResult> {
  const delay = backoffDelayMs(lease.sync_attempts, { ...SYNC_BACKOFF, retryAfterMs: error.details.retryAfterMs, random: deps.random });
  const nextAttemptAt = new Date(deps.clock.now().getTime() + delay);
  const log = isOperatorProblem(error) ? deps.logger.error : deps.logger.warn;
  log.call(deps.logger, { taskId: lease.task_id, kind: error.kind, err: error, retryInMs: delay }, 'provider call failed; will retry');
  await asServiceStatements(deps.db, (q) => recordRetry(q, { taskId: lease.task_id, owner, nextAttemptAt }), RELEARNABLE);
  return { taskId: lease.task_id, success: false, newStatus: lease.status, error: error.message };
}
