import { z } from 'zod';
import { adoptExternalId, findTaskByCallbackToken } from '../../db/queries/sync.js';
import { asService } from '../../db/scope.js';
import { readAi302FetchReply } from '../../providers/ai302-wire.js';
import { klingTaskSchema, mapKlingTask } from '../../providers/kling-wire.js';
import type { ProviderName, ProviderStatus } from '../../providers/video-provider.js';
import { pollDelayMs } from './backoff.js';
import { recordProviderStatus } from './record-status.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';

export type CallbackOutcome = { kind: 'unknown_token' } | { kind: 'ignored'; reason: string } | { kind: 'recorded'; result: SyncResult };

/** Kling POSTs the bare task object (its docs); one variant wraps it in `{code, message, data}`. Accept both. */
function readKling(body: unknown): { externalTaskId: string; status: ProviderStatus } | undefined {
  const flat = klingTaskSchema.safeParse(body);
  const task = flat.success ? flat.data : klingTaskSchema.safeParse(z.object({ data: z.unknown() }).safeParse(body).data?.data).data;
  return task && { externalTaskId: task.task_id, status: mapKlingTask(task) };
}

const ai302TaskId = z.object({ data: z.object({ task: z.object({ id: z.union([z.string(), z.number()]).transform(String) }) }) });

/** 302.ai POSTs its fetch envelope (either style); the task id is in `data.task.id` when present. */
function readAi302(body: unknown): { externalTaskId: string | undefined; status: ProviderStatus } | undefined {
  try {
    return { externalTaskId: ai302TaskId.safeParse(body).data?.data.task.id, status: readAi302FetchReply(body) };
  } catch {
    return undefined;
  }
}

/**
 * A provider told us about a task at the URL carrying its secret token. The report is recorded exactly as a poll's
 * answer would be (recordProviderStatus), so a repeated or out-of-order delivery changes nothing twice. A report
 * about another provider task than the one we hold is ignored: polling remains the safety net.
 */
export async function handleProviderCallback(
  deps: Pick<SyncDeps, 'db' | 'clock' | 'logger'>,
  provider: ProviderName,
  token: string,
  body: unknown,
): Promise<CallbackOutcome> {
  const task = await asService(deps.db, (tx) => findTaskByCallbackToken(tx, token));
  if (!task || task.provider !== provider) return { kind: 'unknown_token' };
  const report = provider === 'kling' ? readKling(body) : readAi302(body);
  if (!report) return { kind: 'ignored', reason: 'unreadable body' };
  if (task.externalTaskId && report.externalTaskId && report.externalTaskId !== task.externalTaskId) {
    deps.logger.warn({ taskId: task.taskId, reported: report.externalTaskId }, 'callback names another provider task; ignored');
    return { kind: 'ignored', reason: 'task id mismatch' };
  }
  const reportedId = report.externalTaskId;
  if (!task.externalTaskId && reportedId) await asService(deps.db, (tx) => adoptExternalId(tx, { taskId: task.taskId, externalTaskId: reportedId }));
  const nextPollAt = new Date(deps.clock.now().getTime() + pollDelayMs(0));
  const result = await recordProviderStatus(deps, { taskId: task.taskId, owner: null }, report.status, nextPollAt);
  return { kind: 'recorded', result };
}
