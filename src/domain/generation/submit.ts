import { errors } from '../../errors.js';
import type { ProviderName, VideoProvider, VideoProviders } from '../../providers/video-provider.js';
import { modelFor, type Product } from '../catalog.js';
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
  });
}
