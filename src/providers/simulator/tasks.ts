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

/** Everything a route handler needs. `baseUrl` is filled in once the server listens. */
export interface SimContext {
  baseUrl: string;
  delayMs: number;
  failureRate: number;
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

/** Adds a task. Ids are digit strings like both providers use; 302's are shorter, as in its examples. */
export function createTask(
  context: SimContext,
  fields: Pick<SimTask, 'provider' | 'kind' | 'model'> & { externalTaskId?: string | undefined; callbackUrl?: string | undefined },
): SimTask {
  counter += 1;
  const suffix = `${Date.now() % 1_000_000}${String(counter).padStart(6, '0')}`;
  const task: SimTask = {
    id: fields.provider === 'ai302' ? `3${suffix}` : `8319${suffix}`,
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
