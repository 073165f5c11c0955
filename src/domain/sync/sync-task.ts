import type { SyncLease } from '../../db/queries/leases.js';
import { markTimeoutChecked } from '../../db/queries/sync.js';
import { asService } from '../../db/scope.js';
import { ProviderError, type ProviderName } from '../../providers/video-provider.js';
import { pollDelayMs } from './backoff.js';
import { failTask, recordProviderStatus, retryLater } from './record-status.js';
import { recoverUnsubmitted } from './recover.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';
import { kindOfTaskType, providerOfLease } from './task-ref.js';

export const TIMEOUT_REASON = 'The provider did not finish the video in time; your credits have been refunded';

/**
 * Follows one leased task one step: asks the provider (or recovers a task that was never submitted) and records
 * the answer. Past TASK_TIMEOUT_MS the provider is asked once more (timeout_checked); a task still running then
 * fails with a refund. A transient error on that last question earns one retry, no more.
 */
export async function syncLeasedTask(deps: SyncDeps, lease: SyncLease, owner: string): Promise<SyncResult> {
  const target = { taskId: lease.task_id, owner };
  const provider = providerOfLease(lease);
  if (!provider) {
    const failed = await failTask(deps, target, 'The task has no known provider and cannot be followed', false);
    return { taskId: lease.task_id, success: failed, newStatus: 'failed' };
  }
  if (!lease.external_task_id) return recoverUnsubmitted(deps, lease, owner, provider);

  const now = deps.clock.now();
  const ageMs = now.getTime() - lease.created_at.getTime();
  const overdue = ageMs >= deps.taskTimeoutMs;
  const lastChance = overdue && lease.timeout_checked;
  if (overdue && !lease.timeout_checked) await asService(deps.db, (tx) => markTimeoutChecked(tx, target));
  try {
    const status = await fetchStatus(deps, provider, lease);
    if (overdue && status.state === 'processing') return timeOut(deps, target);
    return await recordProviderStatus(deps, target, status, new Date(now.getTime() + pollDelayMs(ageMs)));
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (lastChance) return timeOut(deps, target);
    return retryLater(deps, lease, owner, error);
  }
}

function fetchStatus(deps: SyncDeps, provider: ProviderName, lease: SyncLease) {
  const ref = { kind: kindOfTaskType(lease.task_type), externalTaskId: lease.external_task_id! };
  return deps.providerSlots[provider].run(() => deps.providers[provider].fetchStatus(ref));
}

async function timeOut(deps: SyncDeps, target: { taskId: number; owner: string }): Promise<SyncResult> {
  deps.logger.warn({ taskId: target.taskId }, 'task timed out at the provider; failing it with a refund');
  const failed = await failTask(deps, target, TIMEOUT_REASON, true);
  return { taskId: target.taskId, success: failed, newStatus: 'failed' };
}
