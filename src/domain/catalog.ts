import type { ProviderName, TaskKind } from '../providers/video-provider.js';

/**
 * Every product we sell, one row each. Routes, prices, the OpenAPI document and the tests derive from this table.
 * - `ai302` rows name the 302.ai `m2v_*` path, which fixes duration and quality.
 * - `kling` rows name Kling's `model_name`; quality is `mode` (std | pro) and duration a field.
 */
export interface Product {
  /** Stable identifier, also stored in the task's `product_id`. */
  id: string;
  /** The contract's route. */
  path: string;
  kind: TaskKind;
  durationSeconds: 5 | 10;
  highQuality: boolean;
  credits: number;
  provider: ProviderName;
  model: string;
  /** Whether the contract documents this route (false for the Kling official routes we added). */
  inContract: boolean;
  /**
   * The Kling model that a request with a camera movement goes to, where one takes camera control at this product's
   * mode and duration; absent where none does, and the request is refused. Kling's capability map lists camera control
   * for text-to-video on kling-v1 at std 5 s only, and none on kling-v1-6 (docs/providers.md).
   */
  cameraModel?: string;
  /** Whether the product takes an end frame (Kling's `image_tail`: kling-v1-6 takes it in pro mode only). */
  takesEndImage: boolean;
}

type Tier = { durationSeconds: 5 | 10; highQuality: boolean; suffix: string; t2v: number; i2v: number };

// The contract's prices: T2V 1, 2, 2, 4 and I2V 2, 3, 4, 6 credits for std 5 s, std 10 s, HQ 5 s, HQ 10 s.
const TIERS: readonly Tier[] = [
  { durationSeconds: 5, highQuality: false, suffix: '5s', t2v: 1, i2v: 2 },
  { durationSeconds: 10, highQuality: false, suffix: '10s', t2v: 2, i2v: 3 },
  { durationSeconds: 5, highQuality: true, suffix: 'hq/5s', t2v: 2, i2v: 4 },
  { durationSeconds: 10, highQuality: true, suffix: 'hq/10s', t2v: 4, i2v: 6 },
];

const KLING_OFFICIAL_MODEL = 'kling-v1-6';
const KLING_CAMERA_MODEL = 'kling-v1';

function ai302Model(kind: TaskKind, tier: Tier): string {
  const base = kind === 't2v' ? 'm2v_16_txt2video' : 'm2v_16_img2video';
  return `${base}${tier.highQuality ? '_hq' : ''}_${tier.durationSeconds}s`;
}

function productsFor(provider: ProviderName, kind: TaskKind): Product[] {
  const prefix = provider === 'ai302' ? '/api/kling' : '/api/kling-official';
  const kindSegment = kind === 'i2v' ? '/i2v' : '';
  return TIERS.map((tier) => ({
    id: `${provider}-${kind}-${tier.suffix.replace('/', '-')}`,
    path: `${prefix}${kindSegment}/${tier.suffix}`,
    kind,
    durationSeconds: tier.durationSeconds,
    highQuality: tier.highQuality,
    credits: kind === 't2v' ? tier.t2v : tier.i2v,
    provider,
    model: provider === 'ai302' ? ai302Model(kind, tier) : KLING_OFFICIAL_MODEL,
    inContract: provider === 'ai302' || (kind === 't2v' && tier.suffix === '5s'),
    // The contract's only official route (std 5 s text-to-video) documents camera_type: kling-v1 takes it there.
    ...(provider === 'kling' && kind === 't2v' && tier.suffix === '5s' ? { cameraModel: KLING_CAMERA_MODEL } : {}),
    takesEndImage: provider === 'kling' && kind === 'i2v' && tier.highQuality,
  }));
}

export const CATALOG: readonly Product[] = Object.freeze([
  ...productsFor('ai302', 't2v'),
  ...productsFor('ai302', 'i2v'),
  ...productsFor('kling', 't2v'),
  ...productsFor('kling', 'i2v'),
]);

const byId = new Map(CATALOG.map((p) => [p.id, p]));

/** The product with this id, or undefined. */
export function findProduct(id: string): Product | undefined {
  return byId.get(id);
}

/** The model a request goes to: the product's camera model when it asks for a camera movement, else its own. */
export function modelFor(product: Product, request: { camera?: unknown }): string {
  return request.camera !== undefined && product.cameraModel ? product.cameraModel : product.model;
}
