import { z } from 'zod';
import { errorForHttpStatus } from './http.js';
import { ProviderError, type ProviderStatus, type SubmitRequest, type TaskKind } from './video-provider.js';

/** The path segment Kling uses for each kind; a task is queried under the path it was created on. */
export const KLING_KIND_PATH: Readonly<Record<TaskKind, string>> = { t2v: 'text2video', i2v: 'image2video' };

/** Error envelope, and the `code` of every reply (0 = success). */
export const klingEnvelopeSchema = z.object({ code: z.number(), message: z.string().nullish(), request_id: z.string().nullish() });

export const klingCreateReplySchema = klingEnvelopeSchema.extend({
  data: z.object({ task_id: z.union([z.string().min(1), z.number()]).transform(String) }),
});

/** The task object: `data` of a query reply, and the whole body of a callback. */
export const klingTaskSchema = z.object({
  task_id: z.union([z.string().min(1), z.number()]).transform(String),
  task_status: z.string(),
  task_status_msg: z.string().nullish(),
  task_result: z.object({ videos: z.array(z.object({ url: z.string() })).nullish() }).nullish(),
});

export const klingQueryReplySchema = klingEnvelopeSchema.extend({ data: klingTaskSchema });

/** The task object with the id we gave it; read by lookups only, so an odd `task_info` never stops a status poll. */
const klingLookupTaskSchema = klingTaskSchema.extend({ task_info: z.object({ external_task_id: z.string().nullish() }).nullish() });

/** A lookup by `external_task_id`: one task object, or an array of them should Kling answer with its task list. */
export const klingLookupReplySchema = klingEnvelopeSchema.extend({
  data: z.union([klingLookupTaskSchema, z.array(klingLookupTaskSchema)]).nullish(),
});

/**
 * Kling's id for the task a lookup by `external_task_id` found: a task carrying our id, or a lone task naming none
 * (the query named it). A task carrying another id, or a list without ours (Kling ignoring the parameter and
 * listing its newest tasks), is not ours: undefined.
 */
export function taskIdForExternalId(data: z.output<typeof klingLookupReplySchema>['data'], externalTaskId: string): string | undefined {
  if (!data) return undefined;
  if (Array.isArray(data)) return data.find((task) => task.task_info?.external_task_id === externalTaskId)?.task_id;
  const echoed = data.task_info?.external_task_id;
  return echoed === undefined || echoed === null || echoed === externalTaskId ? data.task_id : undefined;
}

/** Request body for `POST /v1/videos/{text2video|image2video}` (providers.md §2.3–2.4). */
export function buildKlingCreateBody(request: SubmitRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model_name: request.model,
    prompt: request.prompt,
    negative_prompt: request.negativePrompt,
    cfg_scale: request.cfg,
    mode: request.highQuality ? 'pro' : 'std',
    // Kling rejects an integer here; it must be the string "5" or "10".
    duration: String(request.durationSeconds),
    external_task_id: request.clientTaskId,
  };
  // Top level, not inside camera_control (the original project's bug); I2V takes its shape from the image.
  if (request.kind === 't2v') body.aspect_ratio = request.aspectRatio;
  // Without camera_control the model picks the motion; sending one forces a move, and only some models take it
  // (the catalog sends camera requests to one that does: Product.cameraModel).
  if (request.camera) {
    body.camera_control =
      request.camera.type === 'simple'
        ? { type: 'simple', config: { horizontal: request.camera.value, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: 0 } }
        : { type: request.camera.type };
  }
  // Base64 with no `data:` prefix: Kling refuses the data-URL form.
  if (request.kind === 'i2v' && request.image) body.image = request.image.bytes.toString('base64');
  // The end frame, same format; Kling takes it on some models and modes only (Product.takesEndImage).
  if (request.kind === 'i2v' && request.endImage) body.image_tail = request.endImage.bytes.toString('base64');
  if (request.callbackUrl) body.callback_url = request.callbackUrl;
  return body;
}

/** Maps a task object to our status. `succeed` is Kling's spelling. Kling gives no thumbnail for videos. */
export function mapKlingTask(task: z.output<typeof klingTaskSchema>): ProviderStatus {
  switch (task.task_status) {
    case 'succeed': {
      const url = task.task_result?.videos?.[0]?.url;
      // Success without a URL should not happen; keep polling rather than fail a paid task on a half-written record.
      return url ? { state: 'completed', videoUrl: url, thumbnailUrl: null } : { state: 'processing' };
    }
    case 'failed':
      return { state: 'failed', reason: task.task_status_msg || 'Kling reported the task failed' };
    default:
      // `submitted`, `processing`, and anything newer we do not know yet.
      return { state: 'processing' };
  }
}

const ACCOUNT_MESSAGES: Readonly<Record<number, string>> = {
  1100: 'Kling account exception: the account needs attention',
  1101: 'Kling account in arrears: payment is overdue',
  1102: 'Kling resource pack used up or expired: buy more quota',
  1103: 'Kling account has no access to this API or model',
  1304: 'Kling refused our IP address (IP whitelist policy)',
};

/** Whether a 401 means our JWT was refused, i.e. re-signing may help. */
export function isKlingAuthCode(code: number | undefined): boolean {
  return code !== undefined && code >= 1000 && code <= 1004;
}

/** Translates Kling's `{code, message}` plus the HTTP status into a ProviderError (providers.md §2.7). */
export function mapKlingError(
  httpStatus: number,
  code: number | undefined,
  message: string | null | undefined,
  retryAfterMs?: number,
): ProviderError {
  const text = message || `Kling replied HTTP ${httpStatus}${code === undefined ? '' : ` code ${code}`}`;
  const details = { httpStatus, ...(code === undefined ? {} : { providerCode: code }) };
  if (code === undefined) return errorForHttpStatus(httpStatus, text, { retryAfterMs });
  if (isKlingAuthCode(code)) return new ProviderError('unauthorized', `Kling refused our credentials: ${text}`, details);
  const account = ACCOUNT_MESSAGES[code];
  if (account) return new ProviderError('rejected', `${account} (${text})`, details);
  if (code === 1302 || code === 1303 || (code >= 5000 && code <= 5002)) {
    return new ProviderError('transient', text, retryAfterMs === undefined ? details : { ...details, retryAfterMs });
  }
  if ([1200, 1201, 1202, 1203, 1300, 1301].includes(code)) return new ProviderError('rejected', text, details);
  return errorForHttpStatus(httpStatus, text, { providerCode: code, retryAfterMs });
}
