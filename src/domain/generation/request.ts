import { createHash } from 'node:crypto';
import type { AspectRatio, CameraType } from '../../providers/video-provider.js';
import type { ImageInfo } from '../image.js';

/** A validated generation request, whichever route and body format it came from. */
export interface GenerationInput {
  prompt: string;
  negativePrompt: string;
  cfg: number;
  aspectRatio: AspectRatio;
  camera?: { type: CameraType; value: number };
  image?: { bytes: Buffer; info: ImageInfo };
  /** The end frame, on products that take one (Product.takesEndImage). */
  endImage?: { bytes: Buffer; info: ImageInfo };
}

/** Identifies a request's content, so an Idempotency-Key reused for a different request is refused. */
export function hashGenerationRequest(productId: string, input: GenerationInput): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([productId, input.prompt, input.negativePrompt, input.cfg, input.aspectRatio, input.camera ?? null]));
  if (input.image) hash.update(input.image.bytes);
  // Marked, so that an end frame does not hash like more bytes of the start image.
  if (input.endImage) hash.update(`end-image:${input.endImage.bytes.length}:`).update(input.endImage.bytes);
  return hash.digest('hex');
}
