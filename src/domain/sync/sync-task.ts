import type { SyncLease } from '../../db/queries/leases.js';
import { markTimeoutChecked, postponeSync } from '../../db/queries/sync.js';
import { asService, asServiceStatements } from '../../db/scope.js';
import { ProviderError, type ProviderName, type VideoProvider } from '../../providers/video-provider.js';
import { pollDelayMs } from './backoff.js';
import { failTask, recordProviderStatus, retryLater } from './record-status.js';
import { recoverUnsubmitted } from './recover.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';
import { kindOfTaskType } from './task-ref.js';

export const TIMEOUT_REASON = 'The provider did not finish the video in time; your credits have been refunded';
export const SWITCHED_OFF_REASON = 'The provider of this task is no longer available on this service; your credits have been refunded';

/** How soon a task whose provider is switched off is looked at again (its keys may have returned by then). */
export const SWITCHED_OFF_RECHECK_MS = 10 * 60_000;

/**
 * Follows one leased task one step: asks the provider (or recovers a task that was never submitted) and records
 * the answer. Past TASK_TIMEOUT_MS the provider is asked once more (timeout_checked); a task still running then
 * fails with a refund. A transient error on that last question earns one retry, no more. A task whose provider is
 * switched off waits (see waitForProvider).
 */
export async function syncLeasedTask(deps: SyncDeps, lease: SyncLease, owner: string): Promise<SyncResult> {
  const target = { taskId: lease.task_id, owner };
  const provider = lease.provider;
  if (!provider) {
    // An adopted task of the original system whose provider its row does not name (failing refunds its charge).
    const failed = await failTask(deps, target, 'The task has no known provider and cannot be followed', false);
    return { taskId: lease.task_id, success: failed, newStatus: 'failed' };
  }
  const adapter = deps.providers[provider];
  if (!adapter) return waitForProvider(deps, lease, owner, provider);
  if (!lease.external_task_id) return recoverUnsubmitted(deps, lease, owner, adapter);

  const now = deps.clock.now();
  const ageMs = now.getTime() - lease.created_at.getTime();
  const overdue = ageMs >= deps.taskTimeoutMs;
  const lastChance = overdue && lease.timeout_checked;
  if (overdue && !lease.timeout_checked) await asService(deps.db, (tx) => markTimeoutChecked(tx, target));
  try {
    const status = await fetchStatus(deps, adapter, lease);
    if (overdue && status.state === 'processing') return timeOut(deps, target);
    return await recordProviderStatus(deps, target, status, new Date(now.getTime() + pollDelayMs(ageMs)));
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (lastChance) return timeOut(deps, target);
    return retryLater(deps, lease, owner, error);
  }
}

function fetchStatus(deps: SyncDeps, adapter: VideoProvider, lease: SyncLease) {
  const ref = { kind: kindOfTaskType(lease.task_type), externalTaskId: lease.external_task_id! };
  return deps.providerSlots[adapter.name].run(() => adapter.fetchStatus(ref));
}

/**
 * The task's provider was switched off after the task was made (its keys removed, no simulator). Nothing can be
 * asked or sent, so the task waits, its attempts uncounted, and is looked at again every SWITCHED_OFF_RECHECK_MS:
 * when the keys return it is followed as before, and the provider's callbacks are still recorded meanwhile. Past
 * TASK_TIMEOUT_MS it fails with a refund like any task that did not finish in time (timed out, so a late success
 * reported by a callback still completes it). One warning per task and look.
 */
async function waitForProvider(deps: SyncDeps, lease: SyncLease, owner: string, provider: ProviderName): Promise<SyncResult> {
  const taskId = lease.task_id;
  const now = deps.clock.now().getTime();
  const deadline = lease.created_at.getTime() + deps.taskTimeoutMs;
  if (now >= deadline) {
    deps.logger.warn({ taskId, provider }, 'task of a switched-off provider reached its timeout; failing it with a refund');
    const failed = await failTask(deps, { taskId, owner }, SWITCHED_OFF_REASON, true);
    return { taskId, success: failed, newStatus: 'failed' };
  }
  deps.logger.warn({ taskId, provider }, 'provider switched off (no keys): task left waiting for its keys or its timeout');
  const nextAttemptAt = new Date(Math.min(deadline, now + SWITCHED_OFF_RECHECK_MS));
  await asServiceStatements(deps.db, (q) => postponeSync(q, { taskId, owner, nextAttemptAt }));
  return { taskId, success: false, newStatus: lease.status, error: `The provider ${provider} is switched off on this service` };
}

async function timeOut(deps: SyncDeps, target: { taskId: number; owner: string }): Promise<SyncResult> {
  deps.logger.warn({ taskId: target.taskId }, 'task timed out at the provider; failing it with a refund');
  const failed = await failTask(deps, target, TIMEOUT_REASON, true);
  return { taskId: target.taskId, success: failed, newStatus: 'failed' };
}
