import { z } from 'zod';
import { errorForHttpStatus } from './http.js';
import { ProviderError, type ProviderErrorKind, type ProviderStatus } from './video-provider.js';

/** 302.ai's integer task states on its Kling web-style endpoints (providers.md §1.5). */
export const AI302_STATUS = { submitted: 5, processing: 10, failed: 50, succeeded: 99, rejectedAtSubmit: 7 } as const;

const taskId = z.union([z.string().min(1), z.number()]).transform(String);

/** `POST /klingai/m2v_*` reply. Only the fields we act on; everything else passes unchecked. */
export const ai302CreateReplySchema = z.object({
  result: z.number().optional(),
  message: z.string().nullish(),
  data: z
    .object({
      status: z.number().optional(),
      message: z.string().nullish(),
      task: z.object({ id: taskId }).optional(),
    })
    .nullish(),
});

const resourceSchema = z.object({ resource: z.string().nullish() }).nullish();
const workSchema = z.object({ resource: resourceSchema, cover: resourceSchema });

/** Web-style fetch envelope: `result`, integer `data.status`, `data.works[]`. */
const webFetchSchema = z.object({
  result: z.number(),
  message: z.string().nullish(),
  data: z.object({
    status: z.number().optional(),
    message: z.string().nullish(),
    task: z.object({ status: z.number().optional() }).nullish(),
    works: z.array(workSchema).nullish(),
  }),
});

/** Official-style envelope that `/task/{id}/fetch` returns for some task families (providers.md §1.6). */
const officialFetchSchema = z.object({
  code: z.number(),
  message: z.string().nullish(),
  data: z
    .object({
      task_status: z.string(),
      task_status_msg: z.string().nullish(),
      task_result: z.object({ videos: z.array(z.object({ url: z.string() })).nullish() }).nullish(),
    })
    .nullish(),
});

/** 302's gateway error body: `{"error":{"err_code","message","message_cn","message_jp","type"}}`; we read the English message. */
const errorBodySchema = z.object({
  error: z.object({ err_code: z.union([z.number(), z.string()]).optional(), message: z.string().optional(), type: z.string().optional() }),
});

/**
 * Maps a web-style integer status. 99 only counts once the video URL is there: a 99 without works has been seen
 * mid-update, and failing it would refund a video that may still appear. Unknown codes below 50 keep polling
 * (our own task timeout ends them); 50 and every other code from 50 up except 99 are failures.
 */
export function mapAi302Status(
  code: number,
  videoUrl: string | null | undefined,
  thumbnailUrl: string | null | undefined,
  message: string | null | undefined,
): ProviderStatus {
  if (code === AI302_STATUS.succeeded) {
    return videoUrl ? { state: 'completed', videoUrl, thumbnailUrl: thumbnailUrl || null } : { state: 'processing' };
  }
  if (code >= AI302_STATUS.failed) {
    return { state: 'failed', reason: message || `302.ai reported the task failed (status ${code})` };
  }
  return { state: 'processing' };
}

function mapOfficialStatus(data: NonNullable<z.output<typeof officialFetchSchema>['data']>): ProviderStatus {
  switch (data.task_status) {
    case 'succeed': {
      const url = data.task_result?.videos?.[0]?.url;
      return url ? { state: 'completed', videoUrl: url, thumbnailUrl: null } : { state: 'processing' };
    }
    case 'failed':
      return { state: 'failed', reason: data.task_status_msg || 'The provider reported the task failed' };
    default:
      return { state: 'processing' };
  }
}

/** Reads a fetch reply of either envelope. A body neither schema accepts is transient: the next poll may be fine. */
export function readAi302FetchReply(json: unknown): ProviderStatus {
  const official = officialFetchSchema.safeParse(json);
  if (official.success) {
    if (official.data.code !== 0 || !official.data.data) {
      throw new ProviderError('transient', `302.ai fetch returned code ${official.data.code}: ${official.data.message ?? 'no message'}`, {
        providerCode: official.data.code,
      });
    }
    return mapOfficialStatus(official.data.data);
  }
  const web = webFetchSchema.safeParse(json);
  if (!web.success) throw new ProviderError('transient', '302.ai fetch reply did not match either known envelope');
  const { data } = web.data;
  const code = data.status ?? data.task?.status;
  if (code === undefined) throw new ProviderError('transient', '302.ai fetch reply carries no task status');
  const work = data.works?.[0];
  return mapAi302Status(code, work?.resource?.resource, work?.cover?.resource, data.message);
}

/** Where the two fetch envelopes name the task: `data.task.id` (web style) or `data.task_id` (official style). */
const fetchTaskIdSchema = z.union([
  z.object({ data: z.object({ task: z.object({ id: taskId }) }) }).transform((body) => body.data.task.id),
  z.object({ data: z.object({ task_id: taskId }) }).transform((body) => body.data.task_id),
]);

/** The task a fetch-style body (a fetch reply or a callback) is about; undefined when it names none. */
export function readAi302TaskId(json: unknown): string | undefined {
  return fetchTaskIdSchema.safeParse(json).data;
}

/** Reads a create reply; throws `rejected` when Kling refused the task, `transient` when the reply is unreadable. */
export function readAi302CreateReply(json: unknown): { externalTaskId: string } {
  const parsed = ai302CreateReplySchema.safeParse(json);
  if (!parsed.success) throw new ProviderError('transient', '302.ai create reply did not match the expected shape');
  const { result, message, data } = parsed.data;
  if (data?.status === AI302_STATUS.rejectedAtSubmit) {
    throw new ProviderError('rejected', data.message || message || 'The provider refused the task', { providerCode: 7 });
  }
  if (result !== undefined && result !== 1) {
    throw new ProviderError('rejected', message || data?.message || `302.ai returned result ${result}`, { providerCode: result });
  }
  if (!data?.task) throw new ProviderError('transient', '302.ai create reply carries no task id');
  return { externalTaskId: data.task.id };
}

/**
 * What 302's gateway `err_code`s (negative) mean for a task, from the code tables 302.ai ships in its own open-source
 * tools (docs/providers.md, "302.ai"). 302 does not publish the HTTP status of each code, so a known code decides and
 * the status only classifies the others. -10003 is left to the status on purpose: 302's tables call it a network
 * error, while clients of its API report it beside "parameter error" messages.
 */
const AI302_ERROR_KINDS: ReadonlyMap<number, ProviderErrorKind> = new Map<number, ProviderErrorKind>([
  // Our key: missing or invalid, disabled or deleted, expired.
  [-10001, 'unauthorized'],
  [-10002, 'unauthorized'],
  [-10005, 'unauthorized'],
  // Our account: balance, total / daily / hourly / monthly quota, a model disabled for us, our address barred.
  [-10004, 'account'],
  [-10006, 'account'],
  [-10007, 'account'],
  [-10012, 'account'],
  [-10018, 'account'],
  [-10013, 'account'],
  [-10014, 'account'],
  // This request: function not supported, resource not found, invalid request, image size, unreadable or too large file.
  [-10009, 'rejected'],
  [-10010, 'rejected'],
  [-10011, 'rejected'],
  [-10015, 'rejected'],
  [-10016, 'rejected'],
  [-10017, 'rejected'],
  // Passing: no channel for the model right now (HTTP 503), the upstream connection or the generation timed out.
  [-10008, 'transient'],
  [-1024, 'transient'],
  [-10504, 'transient'],
]);

/** Translates a non-2xx reply by 302's `err_code` where we know it, else by HTTP status; the message is 302's own. */
export function mapAi302HttpError(status: number, json: unknown, retryAfterMs: number | undefined): ProviderError {
  const body = errorBodySchema.safeParse(json);
  const message = body.success && body.data.error.message ? body.data.error.message : `302.ai replied HTTP ${status}`;
  const providerCode = body.success ? body.data.error.err_code : undefined;
  if (providerCode === undefined) return errorForHttpStatus(status, message, { retryAfterMs });
  const kind = AI302_ERROR_KINDS.get(Number(providerCode));
  if (!kind) return errorForHttpStatus(status, message, { providerCode, retryAfterMs });
  const retry = kind === 'transient' && retryAfterMs !== undefined ? { retryAfterMs } : {};
  return new ProviderError(kind, message, { httpStatus: status, providerCode, ...retry });
}
