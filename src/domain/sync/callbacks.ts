import { z } from 'zod';
import { adoptExternalId, findTaskByCallbackToken } from '../../db/queries/sync.js';
import { asService } from '../../db/scope.js';
import { readAi302FetchReply, readAi302TaskId } from '../../providers/ai302-wire.js';
import { klingTaskSchema, mapKlingTask } from '../../providers/kling-wire.js';
import type { ProviderName, ProviderStatus } from '../../providers/video-provider.js';
import { pollDelayMs } from './backoff.js';
import { recordProviderStatus } from './record-status.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';

export type CallbackOutcome = { kind: 'unknown_token' } | { kind: 'ignored'; reason: string } | { kind: 'recorded'; result: SyncResult };

/** What a callback body says: always which provider task it is about, so that can be checked against ours. */
interface Report {
  externalTaskId: string;
  status: ProviderStatus;
}

/**
 * Kling POSTs the bare task object (its docs); one variant wraps it in `{code, message, data}`. Accept both. Its
 * `task_id` is always there, and the schema requires it.
 */
function readKling(body: unknown): Report | undefined {
  const flat = klingTaskSchema.safeParse(body);
  const task = flat.success ? flat.data : klingTaskSchema.safeParse(z.object({ data: z.unknown() }).safeParse(body).data?.data).data;
  return task && { externalTaskId: task.task_id, status: mapKlingTask(task) };
}

/**
 * 302.ai POSTs its fetch envelope, either style (its callback payload is unconfirmed: providers.md §1.3). A fetch
 * reply always names its task, so a body that does not is refused: it could be about any task, and polling remains.
 */
function readAi302(body: unknown): Report | undefined {
  const externalTaskId = readAi302TaskId(body);
  if (externalTaskId === undefined) return undefined;
  try {
    return { externalTaskId, status: readAi302FetchReply(body) };
  } catch {
    return undefined;
  }
}

/**
 * A provider told us about a task at the URL carrying its secret token. The report is recorded exactly as a poll's
 * answer would be (recordProviderStatus), so a repeated or out-of-order delivery changes nothing twice. A report
 * must name its provider task; one that names none, or another than the one we hold, is ignored and nothing is
 * recorded: polling remains the safety net.
 */
export async function handleProviderCallback(
  deps: Pick<SyncDeps, 'db' | 'clock' | 'logger' | 'allowHttpResults' | 'onCompleted'>,
  provider: ProviderName,
  token: string,
  body: unknown,
): Promise<CallbackOutcome> {
  const task = await asService(deps.db, (tx) => findTaskByCallbackToken(tx, token));
  if (!task || task.provider !== provider) return { kind: 'unknown_token' };
  const report = provider === 'kling' ? readKling(body) : readAi302(body);
  if (!report) {
    deps.logger.warn({ taskId: task.taskId, provider }, 'callback body unreadable or naming no provider task; ignored');
    return { kind: 'ignored', reason: 'unreadable body' };
  }
  if (task.externalTaskId && report.externalTaskId !== task.externalTaskId) {
    deps.logger.warn({ taskId: task.taskId, reported: report.externalTaskId }, 'callback names another provider task; ignored');
    return { kind: 'ignored', reason: 'task id mismatch' };
  }
  const { externalTaskId } = report;
  if (!task.externalTaskId) await asService(deps.db, (tx) => adoptExternalId(tx, { taskId: task.taskId, externalTaskId }));
  const nextPollAt = new Date(deps.clock.now().getTime() + pollDelayMs(0));
  const result = await recordProviderStatus(deps, { taskId: task.taskId, owner: null }, report.status, nextPollAt);
  return { kind: 'recorded', result };
}
