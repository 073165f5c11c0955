/** What the domain needs from a video provider. Adapters translate wire formats and failures; nothing else. */

export type ProviderName = 'ai302' | 'kling';
export type TaskKind = 't2v' | 'i2v';
export type AspectRatio = '16:9' | '9:16' | '1:1';
export type CameraType = 'simple' | 'down_back' | 'forward_up' | 'right_turn_forward' | 'left_turn_forward';

export interface SubmitRequest {
  kind: TaskKind;
  durationSeconds: 5 | 10;
  highQuality: boolean;
  /** 302.ai: the `m2v_*` path; Kling: the `model_name`. Comes from the catalog. */
  model: string;
  prompt: string;
  negativePrompt: string;
  cfg: number;
  /** Sent for text-to-video only: Kling's image-to-video takes its shape from the image. */
  aspectRatio: AspectRatio;
  /** Only set when the caller asked for a camera movement; otherwise the model decides. */
  camera?: { type: CameraType; value: number };
  image?: { bytes: Buffer; contentType: 'image/jpeg' | 'image/png' };
  /** Image-to-video's end frame (Kling's `image_tail`); only on products that take one (Product.takesEndImage). */
  endImage?: { bytes: Buffer; contentType: 'image/jpeg' | 'image/png' };
  /**
   * Our own id for the task (`sv-<uuid>`; `sv-<task id>` for tasks older than migration 0016), sent where the provider
   * accepts one, so a resubmission can be recognised. Unique per deployment, as Kling wants it unique per account.
   */
  clientTaskId: string;
  /** Where the provider may POST status changes; unset when PUBLIC_URL is not configured. */
  callbackUrl?: string;
}

export interface TaskRef {
  kind: TaskKind;
  externalTaskId: string;
}

export type ProviderStatus =
  | { state: 'processing' }
  | { state: 'completed'; videoUrl: string; thumbnailUrl: string | null }
  | { state: 'failed'; reason: string };

/**
 * Why a provider call failed.
 * - `rejected`: the provider refused this task for good (bad parameters, content policy): fail it.
 * - `transient`: worth trying again later (429, 5xx, timeout, network); `retryAfterMs` when the provider said.
 * - `unauthorized`: our credentials are wrong; an operator must act.
 * - `account`: our account at the provider cannot take work (balance or quota used up, key, model or address barred).
 *   Not the task's fault, and no retry soon will help: the task fails with a refund and an operator must act.
 */
export type ProviderErrorKind = 'rejected' | 'transient' | 'unauthorized' | 'account';

export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: { httpStatus?: number; providerCode?: number | string; retryAfterMs?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface VideoProvider {
  readonly name: ProviderName;
  /**
   * Creates one task at the provider and returns the provider's id for it.
   * Never retried inside: a blind retry can make two videos. Throws ProviderError.
   */
  submit(request: SubmitRequest, signal?: AbortSignal): Promise<{ externalTaskId: string }>;
  /** Reads the task's current state. Throws ProviderError. */
  fetchStatus(ref: TaskRef, signal?: AbortSignal): Promise<ProviderStatus>;
  /**
   * Finds a task by our own id when the provider supports it (Kling's `external_task_id`), so a submission
   * whose reply was lost can be recognised. Resolves null when the provider has no such task or cannot look it up.
   */
  findByClientTaskId?(ref: { kind: TaskKind; clientTaskId: string }, signal?: AbortSignal): Promise<{ externalTaskId: string } | null>;
}

/**
 * The providers this service can use. One without keys (and without the simulator standing in: see
 * PROVIDER_SIMULATOR) is absent: switched off, so nothing is charged for it or sent to it.
 */
export type VideoProviders = Readonly<Partial<Record<ProviderName, VideoProvider>>>;
