import { randomBytes, randomUUID } from 'node:crypto';
import type { Log } from '../../log.js';
import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/db.js';
import { failAndRefundTask } from '../../db/queries/refunds.js';
import { createChargedTask, findTaskSubmission, markSubmitted, type ChargedTask, type TaskSubmission } from '../../db/queries/tasks.js';
import { asService, asServiceStatements } from '../../db/scope.js';
import { AppError, errors } from '../../errors.js';
import { providerEndpoint, type ProviderBaseUrls } from '../../providers/endpoints.js';
import { ProviderError, type VideoProviders } from '../../providers/video-provider.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { Product } from '../catalog.js';
import { isOperatorProblem, OPERATOR_PROBLEM_REASON } from '../provider-failure.js';
import { TASK_TYPE_OF_KIND } from '../sync/task-ref.js';
import { hashGenerationRequest, type GenerationInput } from './request.js';
import { providerFor, submitToProvider } from './submit.js';

export interface GenerationDeps {
  db: Db;
  providers: VideoProviders;
  storage: ObjectStorage;
  clock: Clock;
  logger: Log;
  /** Base of the provider callback URLs; unset when the service has no public address. */
  publicUrl?: string;
  /** How soon after submission the first status check is due. */
  firstPollDelayMs: number;
  /** The providers' configured base URLs, for the endpoint each task records. */
  providerBaseUrls: ProviderBaseUrls;
}

/** How long the sync pass leaves a fresh pending task to the request that is submitting it. */
export const SUBMIT_GRACE_MS = 60_000;

export type CreatedTask = TaskSubmission;

const LANGUAGE_OF_KIND = { t2v: 'en', i2v: 'zh' } as const;

/**
 * Debits the price, records the task and submits it to the provider, in that order:
 * 1. one statement (as the service role for the authenticated user, one implicit transaction) claims the
 *    Idempotency-Key, inserts the task, charges it at the catalog's price (never below zero) and inserts its pending
 *    status; it commits before any provider I/O;
 * 2. the provider is called once; if it refuses or cannot be reached, the task fails and is refunded exactly once.
 * A process that dies between 1 and 2 leaves a pending task without external id, which the sync pass recovers.
 * A replayed Idempotency-Key returns the first request's task without a second charge. A product whose provider is
 * switched off is refused (503) before anything is stored or charged.
 */
export async function createGenerationTask(
  deps: GenerationDeps,
  user: { id: string; email: string },
  product: Product,
  input: GenerationInput,
  idempotencyKey?: string,
): Promise<CreatedTask> {
  providerFor(deps.providers, product.provider);
  const requestHash = hashGenerationRequest(product.id, input);
  const { imageKey, endImageKey } = await storeUploads(deps, input);
  const callbackToken = randomBytes(24).toString('base64url');

  let outcome: ChargedTask;
  try {
    outcome = await asServiceStatements(deps.db, (q) =>
      recordChargedTask(q, user.id, product, input, { imageKey, endImageKey, callbackToken, idempotencyKey, requestHash, baseUrls: deps.providerBaseUrls }),
    );
  } catch (error) {
    // A refused request stores nothing.
    await removeUploads(deps, [imageKey, endImageKey]);
    throw error;
  }

  if (outcome.kind === 'replay') {
    await removeUploads(deps, [imageKey, endImageKey]);
    if (outcome.requestHash !== requestHash) throw errors.idempotencyMismatch();
    if (outcome.taskId === null) throw errors.idempotencyInProgress();
    const first = await readSubmission(deps.db, outcome.taskId);
    // The first request is still between its commit and the provider's answer.
    if (first.status === 'pending' && !first.externalTaskId) throw errors.idempotencyInProgress();
    return first;
  }

  const { taskId, statusId, clientTaskId } = outcome;
  try {
    const { externalTaskId } = await submitToProvider(deps, { product, input, clientTaskId, callbackToken });
    const nextPollAt = new Date(deps.clock.now().getTime() + deps.firstPollDelayMs);
    const recorded = await asServiceStatements(deps.db, (q) => markSubmitted(q, { taskId, externalTaskId, nextPollAt }));
    // Otherwise a provider callback got there first: read what it recorded.
    if (recorded) return { taskId, statusId, userId: user.id, status: 'pending', externalTaskId, errorMessage: null, refunded: false };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    const log = isOperatorProblem(error) ? deps.logger.error : deps.logger.warn;
    log.call(deps.logger, { taskId, provider: product.provider, kind: error.kind, err: error }, 'provider refused task; refunding');
    await asService(deps.db, (tx) => failAndRefundTask(tx, taskId, providerFailureMessage(error)));
  }
  return readSubmission(deps.db, taskId);
}

/**
 * Claims the Idempotency-Key, inserts the task, charges it (never below zero) and inserts its pending status, in one
 * statement. Short of credits it writes nothing and throws insufficient credits.
 */
async function recordChargedTask(
  q: Queryable,
  userId: string,
  product: Product,
  input: GenerationInput,
  request: {
    imageKey: string | null; endImageKey: string | null; callbackToken: string; idempotencyKey: string | undefined; requestHash: string;
    baseUrls: ProviderBaseUrls;
  },
): Promise<ChargedTask> {
  const outcome = await createChargedTask(q, {
    userId,
    productId: product.id,
    taskType: TASK_TYPE_OF_KIND[product.kind],
    prompt: input.prompt,
    negativePrompt: input.negativePrompt,
    cfg: input.cfg,
    aspectRatio: product.kind === 't2v' ? input.aspectRatio : null,
    cameraType: input.camera?.type ?? null,
    cameraValue: input.camera?.value ?? null,
    highQuality: product.highQuality,
    credits: product.credits,
    startImagePath: request.imageKey,
    endImagePath: request.endImageKey,
    // The original's keys, which its clients read; the product and provider have columns of their own.
    additionalParams: { duration: `${product.durationSeconds}s`, api_endpoint: providerEndpoint(request.baseUrls, product) },
    provider: product.provider,
    callbackToken: request.callbackToken,
    submitGraceMs: SUBMIT_GRACE_MS,
    idempotency: request.idempotencyKey ? { key: request.idempotencyKey, requestHash: request.requestHash } : null,
  });
  if (outcome.kind === 'insufficient') {
    throw errors.insufficientCredits(LANGUAGE_OF_KIND[product.kind], { required: product.credits, balance: outcome.balance });
  }
  return outcome;
}

async function readSubmission(db: Db, taskId: number): Promise<CreatedTask> {
  const submission = await asService(db, (tx) => findTaskSubmission(tx, taskId));
  if (!submission) throw errors.taskNotFound();
  return submission;
}

/** Stores the start image and the end frame, where given; if the second cannot be stored, neither stays. */
async function storeUploads(
  deps: Pick<GenerationDeps, 'storage' | 'logger'>,
  input: GenerationInput,
): Promise<{ imageKey: string | null; endImageKey: string | null }> {
  const imageKey = input.image ? await storeImage(deps.storage, input.image) : null;
  try {
    return { imageKey, endImageKey: input.endImage ? await storeImage(deps.storage, input.endImage) : null };
  } catch (error) {
    await removeUploads(deps, [imageKey]);
    throw error;
  }
}

async function removeUploads(deps: Pick<GenerationDeps, 'storage' | 'logger'>, keys: ReadonlyArray<string | null>): Promise<void> {
  for (const key of keys) {
    if (key) await deps.storage.delete(key).catch((e: unknown) => deps.logger.warn({ err: e, key }, 'could not remove refused upload'));
  }
}

async function storeImage(storage: ObjectStorage, image: NonNullable<GenerationInput['image']>): Promise<string> {
  const extension = image.info.contentType === 'image/png' ? 'png' : 'jpg';
  // Never served by URL (only archived results are); no owner in the name all the same.
  const key = `uploads/${randomUUID()}.${extension}`;
  await storage.put(key, image.bytes, { contentType: image.info.contentType });
  return key;
}

function providerFailureMessage(error: ProviderError): string {
  if (error.kind === 'rejected') return `Provider refused the task: ${error.message}`;
  if (isOperatorProblem(error)) return OPERATOR_PROBLEM_REASON;
  return `Provider unavailable: ${error.message}`;
}

/** The API error for a task that failed at submission (its credits are back by then). */
export function submissionFailedError(task: CreatedTask): AppError {
  return new AppError(502, 'provider_error', task.errorMessage ?? 'Provider refused the task', {
    taskId: task.taskId,
    refunded: task.refunded,
  });
}
