import type { SyncLease } from '../../db/queries/leases.js';
import { recordExternalId } from '../../db/queries/sync.js';
import { asService } from '../../db/scope.js';
import { ProviderError, type AspectRatio, type CameraType, type VideoProvider } from '../../providers/video-provider.js';
import { findProduct, type Product } from '../catalog.js';
import { submitToProvider } from '../generation/submit.js';
import { isOperatorProblem, OPERATOR_PROBLEM_REASON } from '../provider-failure.js';
import type { GenerationInput } from '../generation/request.js';
import { IMAGE_RULES, inspectImage } from '../image.js';
import { failTask, retryLater } from './record-status.js';
import type { SyncDeps, SyncResult } from './sync-deps.js';
import { kindOfTaskType } from './task-ref.js';

/** Transient submission failures tolerated before a never-submitted task is failed and refunded. */
export const MAX_SUBMIT_ATTEMPTS = 5;

const ASPECT_RATIOS: readonly string[] = ['16:9', '9:16', '1:1'];
const CAMERA_TYPES: readonly string[] = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'];

class CannotResubmit extends Error {}

/**
 * A task still pending without an external id after its grace period: the request creating it died between the
 * charge and the provider call (or its reply was lost). Where the provider can look tasks up by our own id, a
 * submission that did reach it is found and kept (by the client id the task was first sent with); otherwise the task
 * is submitted from what was stored, its start image and end frame read back from storage. What cannot be submitted
 * is failed and refunded.
 */
export async function recoverUnsubmitted(deps: SyncDeps, lease: SyncLease, owner: string, adapter: VideoProvider): Promise<SyncResult> {
  const taskId = lease.task_id;
  const provider = adapter.name;
  const product = findProduct(lease.product_id);
  if (!product || product.provider !== provider) return fail(deps, lease, owner, 'The task could not be submitted: its product is unknown');
  if (!isPaidFor(lease, product)) return fail(deps, lease, owner, 'The task was not paid for at its price, so it was not submitted');
  const slot = deps.providerSlots[provider];
  try {
    const found = adapter.findByClientTaskId
      ? await slot.run(() => adapter.findByClientTaskId!({ kind: kindOfTaskType(lease.task_type), clientTaskId: lease.client_task_id }))
      : null;
    if (found) {
      deps.logger.warn({ taskId, externalTaskId: found.externalTaskId }, 'recovered the provider id of a task whose creating request died');
      return record(deps, lease, owner, found.externalTaskId);
    }
    const input = await rebuildInput(deps, lease, product);
    const submitted = await slot.run(() =>
      submitToProvider(deps, { product, input, clientTaskId: lease.client_task_id, callbackToken: lease.callback_token }),
    );
    deps.logger.warn({ taskId, externalTaskId: submitted.externalTaskId }, 'resubmitted a task whose creating request died');
    return record(deps, lease, owner, submitted.externalTaskId);
  } catch (error) {
    if (error instanceof CannotResubmit) return fail(deps, lease, owner, `The task could not be submitted: ${error.message}`);
    if (!(error instanceof ProviderError)) throw error;
    if (error.kind === 'transient' && lease.sync_attempts + 1 < MAX_SUBMIT_ATTEMPTS) return retryLater(deps, lease, owner, error);
    if (!isOperatorProblem(error)) return fail(deps, lease, owner, `The provider did not accept the task: ${error.message}`);
    deps.logger.error({ taskId, kind: error.kind, err: error }, 'provider refused our credentials or account; failing the task with a refund');
    return fail(deps, lease, owner, OPERATOR_PROBLEM_REASON);
  }
}

/**
 * Provider work costs money: a task is submitted only when the ledger holds its charge at the catalog's price and
 * its stored quality and kind are the product's. Only our server writes tasks and charges, so a task failing this
 * was written around it (by hand, or by an older version that let user roles write tasks).
 */
function isPaidFor(lease: SyncLease, product: Product): boolean {
  return lease.charged_credits === product.credits && lease.high_quality === product.highQuality && kindOfTaskType(lease.task_type) === product.kind;
}

async function record(deps: SyncDeps, lease: SyncLease, owner: string, externalTaskId: string): Promise<SyncResult> {
  const nextAttemptAt = new Date(deps.clock.now().getTime() + 5_000);
  const ok = await asService(deps.db, (tx) => recordExternalId(tx, { taskId: lease.task_id, owner, externalTaskId, nextAttemptAt }));
  return { taskId: lease.task_id, success: ok, newStatus: 'pending' };
}

async function fail(deps: SyncDeps, lease: SyncLease, owner: string, reason: string): Promise<SyncResult> {
  const failed = await failTask(deps, { taskId: lease.task_id, owner }, reason, false);
  return { taskId: lease.task_id, success: failed, newStatus: 'failed', error: reason };
}

/** The original request, from the task's columns and its stored start image and end frame. */
async function rebuildInput(deps: Pick<SyncDeps, 'storage'>, lease: SyncLease, product: Product): Promise<GenerationInput> {
  const aspectRatio = (ASPECT_RATIOS.includes(lease.aspect_ratio ?? '') ? lease.aspect_ratio : '16:9') as AspectRatio;
  const cameraValue = Number(lease.camera_value ?? 0);
  const camera =
    lease.camera_type && CAMERA_TYPES.includes(lease.camera_type) && Number.isFinite(cameraValue)
      ? { type: lease.camera_type as CameraType, value: cameraValue }
      : undefined;
  const input: GenerationInput = {
    prompt: lease.prompt ?? '',
    negativePrompt: lease.negative_prompt ?? '',
    cfg: lease.cfg ?? 0.5,
    aspectRatio,
    ...(camera ? { camera } : {}),
  };
  if (product.kind === 't2v') return input;
  if (!lease.start_img_path) throw new CannotResubmit('its start image was not stored');
  const image = await readImage(deps.storage, lease.start_img_path, 'start image');
  if (!lease.end_img_path) return { ...input, image };
  if (!product.takesEndImage) throw new CannotResubmit('its product takes no end frame');
  return { ...input, image, endImage: await readImage(deps.storage, lease.end_img_path, 'end frame') };
}

/** Uploaded images are at most 10 MB (checked at upload), so reading one into memory is bounded. */
async function readImage(storage: SyncDeps['storage'], key: string, what: 'start image' | 'end frame'): Promise<NonNullable<GenerationInput['image']>> {
  const bytes = await readBytes(storage, key, what);
  const info = inspectImage(bytes);
  if (!info) throw new CannotResubmit(`its stored ${what} is unreadable`);
  return { bytes, info };
}

async function readBytes(storage: SyncDeps['storage'], key: string, what: string): Promise<Buffer> {
  const object = await storage.get(key).catch(() => {
    throw new CannotResubmit(`its ${what} is no longer in storage`);
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body) {
    size += (chunk as Buffer).length;
    if (size > IMAGE_RULES.maxBytes) {
      object.body.destroy();
      throw new CannotResubmit(`its stored ${what} is too large`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
