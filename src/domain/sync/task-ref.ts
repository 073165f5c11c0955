import type { SyncLease } from '../../db/queries/leases.js';
import type { ProviderName, TaskKind } from '../../providers/video-provider.js';

/** The task's kind from its contract column. */
export function kindOfTaskType(taskType: string): TaskKind {
  return taskType === 'image2video' ? 'i2v' : 't2v';
}

/** Which provider holds the task: the status row's column, else the definition's additional_params (older rows). */
export function providerOfLease(lease: Pick<SyncLease, 'provider' | 'additional_params'>): ProviderName | undefined {
  const fromParams = lease.additional_params?.provider;
  const name = lease.provider ?? (typeof fromParams === 'string' ? fromParams : undefined);
  return name === 'ai302' || name === 'kling' ? name : undefined;
}
