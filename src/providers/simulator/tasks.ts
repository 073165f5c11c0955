import type { TaskKind } from '../video-provider.js';

/** Where a simulated task is in its life; each provider renders it in its own words. */
export type SimPhase = 'submitted' | 'processing' | 'succeeded' | 'failed';

/** One task in the simulator's memory. */
export interface SimTask {
  id: string;
  provider: 'ai302' | 'kling';
  kind: TaskKind;
  /** 302: the `m2v_*` path; Kling: `model_name`. */
  model: string;
  createdAt: number;
  /** Decided at creation from failureRate, so every poll agrees. */
  willFail: boolean;
  externalTaskId?: string;
  callbackUrl?: string;
  /** The last phase sent to `callbackUrl`. */
  notifiedPhase?: SimPhase;
}

/**
 * How the simulator names 302.ai tasks: digit strings as in 302's examples, `kling_<hex>` (e.g. `kling_49881ff21cfe`)
 * as 302 also issues, or each in turn.
 */
export type Ai302TaskIdForm = 'digits' | 'prefixed' | 'alternating';

/** Everything a route handler needs. `baseUrl` is filled in once the server listens. */
export interface SimContext {
  baseUrl: string;
  delayMs: number;
  failureRate: number;
  ai302TaskIds: Ai302TaskIdForm;
  /** 302 tasks created so far, for `alternating`. */
  ai302Issued: number;
  now: () => number;
  random: () => number;
  tasks: Map<string, SimTask>;
  /** Called after a task is created or polled, so callbacks go out on phase changes. */
  onTouched(task: SimTask): void;
}

/** A third of the delay queued, the rest running, then done: enough to see every state while polling. */
export function phaseOf(task: SimTask, context: Pick<SimContext, 'now' | 'delayMs'>): SimPhase {
  const elapsed = context.now() - task.createdAt;
  if (elapsed >= context.delayMs) return task.willFail ? 'failed' : 'succeeded';
  return elapsed >= context.delayMs / 3 ? 'processing' : 'submitted';
}

/** Media addresses of a finished task. */
export function mediaUrls(context: Pick<SimContext, 'baseUrl'>, task: SimTask): { video: string; thumbnail: string } {
  return { video: `${context.baseUrl}/files/${task.id}.mp4`, thumbnail: `${context.baseUrl}/files/${task.id}.jpg` };
}

let counter = 0;

/** A 302 task id in the configured form; the same unique number underlies both forms. */
function ai302TaskId(context: SimContext, unique: string): string {
  context.ai302Issued += 1;
  const prefixed = context.ai302TaskIds === 'prefixed' || (context.ai302TaskIds === 'alternating' && context.ai302Issued % 2 === 0);
  return prefixed ? `kling_${BigInt(unique).toString(16).padStart(12, '0')}` : `3${unique}`;
}

/** Adds a task. Kling's ids are digit strings; 302's are shorter digits or `kling_<hex>` (see Ai302TaskIdForm). */
export function createTask(
  context: SimContext,
  fields: Pick<SimTask, 'provider' | 'kind' | 'model'> & { externalTaskId?: string | undefined; callbackUrl?: string | undefined },
): SimTask {
  let id: string;
  do {
    // Tasks kept from an earlier run (stateDir) may hold any id this run's counter makes again: skip those.
    counter += 1;
    const suffix = `${Date.now() % 1_000_000}${String(counter).padStart(6, '0')}`;
    id = fields.provider === 'ai302' ? ai302TaskId(context, suffix) : `8319${suffix}`;
  } while (context.tasks.has(id));
  const task: SimTask = {
    id,
    provider: fields.provider,
    kind: fields.kind,
    model: fields.model,
    createdAt: context.now(),
    willFail: context.random() < context.failureRate,
    ...(fields.externalTaskId === undefined ? {} : { externalTaskId: fields.externalTaskId }),
    ...(fields.callbackUrl === undefined ? {} : { callbackUrl: fields.callbackUrl }),
  };
  context.tasks.set(task.id, task);
  return task;
}

/** The reason a failed task gives; one fixed text so tests can match it. */
export const SIMULATED_FAILURE_REASON = 'Simulated failure: the generation did not succeed';
