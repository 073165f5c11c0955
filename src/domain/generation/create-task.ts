import { randomBytes } from 'node:crypto';
import type { Log } from '../../log.js';
import type { Clock } from '../../clock.js';
import { isDatabaseUnavailable } from '../../db/connection-errors.js';
import type { Db, Queryable } from '../../db/db.js';
import { createChargedTask, findTaskSubmission, type ChargedTask, type TaskSubmission } from '../../db/queries/tasks.js';
import { asService, asServiceStatements } from '../../db/scope.js';
import { AppError, errors } from '../../errors.js';
import { providerEndpoint, type ProviderBaseUrls } from '../../providers/endpoints.js';
import type { VideoProviders } from '../../providers/video-provider.js';
import type { ObjectStorage } from '../../storage/object-storage.js';
import type { Product } from '../catalog.js';
import { TASK_TYPE_OF_KIND } from '../sync/task-ref.js';
import { hashGenerationRequest, type GenerationInput } from './request.js';
import { settleLostCommit } from './settle-lost-commit.js';
import { providerFor, submitGraceMs, submitRecordedTask } from './submit.js';
import { removeUploads, storeUploads, type StoredUploads } from './uploads.js';

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
  /** How long a request's provider call may take in all, after which it is given up (and the task refunded). */
  submitDeadlineMs: number;
}

export type CreatedTask = TaskSubmission;

const LANGUAGE_OF_KIND = { t2v: 'en', i2v: 'zh' } as const;

/**
 * Debits the price, records the task and submits it to the provider, in that order:
 * 1. one statement (as the service role for the authenticated user, one implicit transaction) claims the
 *    Idempotency-Key, inserts the task, charges it at the catalog's price (never below zero) and inserts its pending
 *    status; it commits before any provider I/O;
 * 2. the provider is called once; if it refuses or cannot be reached, the task fails and is refunded exactly once.
 * A process that dies between 1 and 2 leaves a pending task without external id, which the sync pass recovers once its
 * grace is over; a statement whose connection broke may have committed all the same, and is settled in the background
 * (settle-lost-commit.ts).
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
  const uploads = await storeUploads(deps, input);
  const callbackToken = randomBytes(24).toString('base64url');

  let outcome: ChargedTask;
  try {
    outcome = await asServiceStatements(deps.db, (q) =>
      recordChargedTask(q, user.id, product, input, { ...uploads, callbackToken, idempotencyKey, requestHash, graceMs: submitGraceMs(deps), baseUrls: deps.providerBaseUrls }),
    );
  } catch (error) {
    // The statement may have committed without a word back: settled in the background. A refusal stored nothing.
    if (isDatabaseUnavailable(error)) settleLostCommit(deps, { product, input, callbackToken, uploads });
    else await removeUploads(deps, uploads);
    throw error;
  }

  if (outcome.kind === 'replay') {
    await removeUploads(deps, uploads);
    if (outcome.requestHash !== requestHash) throw errors.idempotencyMismatch();
    if (outcome.taskId === null) throw errors.idempotencyInProgress();
    const first = await readSubmission(deps.db, outcome.taskId);
    // The first request is still between its commit and the provider's answer.
    if (first.status === 'pending' && !first.externalTaskId) throw errors.idempotencyInProgress();
    return first;
  }

  const { taskId, statusId, clientTaskId } = outcome;
  const externalTaskId = await submitRecordedTask(deps, { taskId, product, input, clientTaskId, callbackToken });
  if (externalTaskId) return { taskId, statusId, userId: user.id, status: 'pending', externalTaskId, errorMessage: null, refunded: false };
  // The task failed (and was refunded), or a provider callback got there first: read what was recorded.
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
  request: StoredUploads & { callbackToken: string; idempotencyKey: string | undefined; requestHash: string; graceMs: number; baseUrls: ProviderBaseUrls },
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
    submitGraceMs: request.graceMs,
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

/** The API error for a task that failed at submission (its credits are back by then). */
export function submissionFailedError(task: CreatedTask): AppError {
  return new AppError(502, 'provider_error', task.errorMessage ?? 'Provider refused the task', {
    taskId: task.taskId,
    refunded: task.refunded,
  });
}
