import { KLING_KIND_PATH } from './kling-wire.js';
import type { ProviderName, TaskKind } from './video-provider.js';

/** The providers' base URLs, as configured. */
export type ProviderBaseUrls = Record<ProviderName, string>;

/**
 * The provider endpoint a product's task is created at, as the original system recorded it in
 * `additional_params.api_endpoint`: 302.ai's `/klingai/<model>`, Kling's `/v1/videos/<text2video|image2video>`.
 */
export function providerEndpoint(baseUrls: ProviderBaseUrls, product: { provider: ProviderName; kind: TaskKind; model: string }): string {
  const base = baseUrls[product.provider].replace(/\/+$/, '');
  if (product.provider === 'ai302') return `${base}/klingai/${product.model}`;
  return `${base}/v1/videos/${KLING_KIND_PATH[product.kind]}`;
}
