import { failAndRefundTask } from '../../db/queries/refunds.js';
import { markSubmitted } from '../../db/queries/tasks.js';
import { asService, asServiceStatements } from '../../db/scope.js';
import { errors } from '../../errors.js';
import { ProviderError, type ProviderName, type VideoProvider, type VideoProviders } from '../../providers/video-provider.js';
import { modelFor, type Product } from '../catalog.js';
import { isOperatorProblem, OPERATOR_PROBLEM_REASON } from '../provider-failure.js';
import type { GenerationInput } from './request.js';
import type { GenerationDeps } from './create-task.js';

export function callbackUrl(publicUrl: string | undefined, product: Pick<Product, 'provider'>, token: string | null): string | undefined {
  if (!publicUrl || !token) return undefined;
  const segment = product.provider === 'kling' ? 'kling' : '302';
  return `${publicUrl.replace(/\/$/, '')}/api/webhooks/${segment}/${token}`;
}

/** The adapter of a provider that is switched on; throws provider_unavailable (503) for one that is switched off. */
export function providerFor(providers: VideoProviders, name: ProviderName): VideoProvider {
  const provider = providers[name];
  if (!provider) throw errors.providerUnavailable(name);
  return provider;
}

/**
 * One call to the provider for a recorded task. `clientTaskId` is the task's own id at the provider (its status row's
 * client_task_id): a resubmission after a lost reply is recognised by it. Throws ProviderError, or
 * provider_unavailable (see providerFor).
 */
export async function submitToProvider(
  deps: Pick<GenerationDeps, 'providers' | 'publicUrl'>,
  task: { product: Product; input: GenerationInput; clientTaskId: string; callbackToken?: string | null },
  signal?: AbortSignal,
): Promise<{ externalTaskId: string }> {
  const { product, input } = task;
  return providerFor(deps.providers, product.provider).submit({
    kind: product.kind,
    durationSeconds: product.durationSeconds,
    highQuality: product.highQuality,
    model: modelFor(product, input),
    prompt: input.prompt,
    negativePrompt: input.negativePrompt,
    cfg: input.cfg,
    aspectRatio: input.aspectRatio,
    camera: input.camera,
    image: input.image && { bytes: input.image.bytes, contentType: input.image.info.contentType },
    endImage: input.endImage && { bytes: input.endImage.bytes, contentType: input.endImage.info.contentType },
    clientTaskId: task.clientTaskId,
    callbackUrl: callbackUrl(deps.publicUrl, product, task.callbackToken ?? null),
  }, signal);
}

/** What a request needs, past its provider call's deadline, to record the outcome. */
const SUBMIT_MARGIN_MS = 10_000;

/**
 * How long the sync pass leaves a fresh pending task to the request submitting it: the request's provider call is
 * over by then, so the pass never submits a task its request still might.
 */
export function submitGraceMs(deps: Pick<GenerationDeps, 'submitDeadlineMs'>): number {
  return deps.submitDeadlineMs + SUBMIT_MARGIN_MS;
}

/**
 * Submits a task its request has recorded and charged, and records the outcome: the provider's id, or, when the
 * provider refuses or cannot be reached, the task failed and refunded exactly once. The call is given up at
 * `submitDeadlineMs`, well within the grace the sync pass leaves the request. Resolves the provider's id when this call
 * recorded it; null when the task failed, or a provider callback recorded its id first.
 */
export async function submitRecordedTask(
  deps: GenerationDeps,
  task: { taskId: number; product: Product; input: GenerationInput; clientTaskId: string; callbackToken: string },
): Promise<string | null> {
  const { taskId, product } = task;
  try {
    const { externalTaskId } = await submitToProvider(deps, task, AbortSignal.timeout(deps.submitDeadlineMs));
    const nextPollAt = new Date(deps.clock.now().getTime() + deps.firstPollDelayMs);
    const recorded = await asServiceStatements(deps.db, (q) => markSubmitted(q, { taskId, externalTaskId, nextPollAt }));
    return recorded ? externalTaskId : null;
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    const log = isOperatorProblem(error) ? deps.logger.error : deps.logger.warn;
    log.call(deps.logger, { taskId, provider: product.provider, kind: error.kind, err: error }, 'provider refused task; refunding');
    await asService(deps.db, (tx) => failAndRefundTask(tx, taskId, providerFailureMessage(error)));
    return null;
  }
}

function providerFailureMessage(error: ProviderError): string {
  if (error.kind === 'rejected') return `Provider refused the task: ${error.message}`;
  if (isOperatorProblem(error)) return OPERATOR_PROBLEM_REASON;
  return `Provider unavailable: ${error.message}`;
}
