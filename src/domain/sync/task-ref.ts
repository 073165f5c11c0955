import type { TaskKind } from '../../providers/video-provider.js';

/** The contract's task_type as the original wrote it: 'video' for text-to-video, 'i2v' for image-to-video. */
export const TASK_TYPE_OF_KIND = { t2v: 'video', i2v: 'i2v' } as const satisfies Record<TaskKind, string>;

/** The task's kind from its contract column. */
export function kindOfTaskType(taskType: string): TaskKind {
  return taskType === TASK_TYPE_OF_KIND.i2v ? 'i2v' : 't2v';
}
