import type { TaskKind } from '../video-provider.js';

/**
 * Which model, mode and duration take camera control and an end frame, as Kling's capability map gives them (two
 * public copies agree; docs/providers.md): the simulator refuses the rest, as Kling does. Keys are
 * `<kind> <model_name> <mode> <duration>`.
 */
const CAMERA_CONTROL: ReadonlySet<string> = new Set(['t2v kling-v1 std 5', 'i2v kling-v1 std 5', 'i2v kling-v1-5 pro 5']);
/** kling-v1-5 takes the `simple` type only. */
const SIMPLE_CAMERA_ONLY: ReadonlySet<string> = new Set(['i2v kling-v1-5 pro 5']);
const END_FRAME: ReadonlySet<string> = new Set([
  'i2v kling-v1 std 5', 'i2v kling-v1 pro 5', 'i2v kling-v1-5 pro 5', 'i2v kling-v1-5 pro 10', 'i2v kling-v1-6 pro 5', 'i2v kling-v1-6 pro 10',
]);

export interface CapabilityRequest {
  model_name?: string | undefined;
  mode?: 'std' | 'pro' | undefined;
  duration?: '5' | '10' | undefined;
  camera_control?: { type: string } | undefined;
  image_tail?: string | undefined;
}

/** Why Kling would refuse this combination, or undefined when it takes it. Kling's defaults: kling-v1, std, 5 s. */
export function capabilityProblem(kind: TaskKind, request: CapabilityRequest): string | undefined {
  const model = request.model_name ?? 'kling-v1';
  const setting = `${model} in ${request.mode ?? 'std'} mode for ${request.duration ?? '5'} s`;
  const key = `${kind} ${model} ${request.mode ?? 'std'} ${request.duration ?? '5'}`;
  // Kling: image + image_tail, the motion brush, and camera_control exclude one another.
  if (request.camera_control && request.image_tail) return 'camera_control cannot be combined with image_tail';
  if (request.camera_control && !CAMERA_CONTROL.has(key)) return `camera_control is not supported by ${setting}`;
  if (request.camera_control && request.camera_control.type !== 'simple' && SIMPLE_CAMERA_ONLY.has(key)) {
    return `camera_control type ${request.camera_control.type} is not supported by ${setting}`;
  }
  if (request.image_tail && !END_FRAME.has(key)) return `image_tail is not supported by ${setting}`;
  return undefined;
}
