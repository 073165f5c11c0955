import { parseJson, readRetryAfterMs, sendRequest, type FetchFn } from './http.js';
import { createKlingTokenSource } from './kling-jwt.js';
import {
  buildKlingCreateBody,
  isKlingAuthCode,
  KLING_KIND_PATH,
  klingCreateReplySchema,
  klingEnvelopeSchema,
  klingLookupReplySchema,
  klingQueryReplySchema,
  mapKlingError,
  mapKlingTask,
  taskIdForExternalId,
} from './kling-wire.js';
import { ProviderError, type VideoProvider } from './video-provider.js';

/** What the Kling adapter needs; `fetch` defaults to the global one and `now` (ms) to Date.now. */
export interface KlingOptions {
  accessKey: string;
  secretKey: string;
  /** e.g. `https://api-singapore.klingai.com`. */
  baseUrl: string;
  /** Deadline for each HTTP call, body included. */
  timeoutMs: number;
  fetch?: FetchFn;
  now?: () => number;
}

/** Kling's official API (`/v1/videos/*`), authenticated with a short-lived HS256 JWT made from the access and secret keys. */
export function createKlingProvider(options: KlingOptions): VideoProvider {
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const tokens = createKlingTokenSource({ accessKey: options.accessKey, secretKey: options.secretKey, now });

  /**
   * One API call. A 401 with an auth code (1000–1004) is retried once with a freshly signed token: Kling created
   * nothing when it refused the token, so even a create is safe to repeat. Resolves the parsed JSON of a 2xx reply
   * whose `code` is 0; everything else throws a ProviderError.
   */
  async function call(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.get();
      const init: RequestInit = {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      };
      const reply = await sendRequest(fetchFn, `${baseUrl}${path}`, init, { timeoutMs: options.timeoutMs, signal });
      const json = parseJson(reply.text);
      const envelope = klingEnvelopeSchema.safeParse(json);
      const code = envelope.success ? envelope.data.code : undefined;
      if (reply.status === 401 && isKlingAuthCode(code) && attempt === 0) {
        tokens.invalidate();
        continue;
      }
      const ok = reply.status >= 200 && reply.status < 300;
      if (ok && json === undefined) throw new ProviderError('transient', 'Kling replied with malformed JSON', { httpStatus: reply.status });
      if (!ok || code !== 0) {
        const message = envelope.success ? envelope.data.message : undefined;
        throw mapKlingError(reply.status, code, message, readRetryAfterMs(reply.headers, now()));
      }
      return json;
    }
  }

  /** One lookup form: Kling's id of our task, or undefined when this form does not find it. */
  async function lookUp(path: string, clientTaskId: string, signal: AbortSignal | undefined): Promise<string | undefined> {
    try {
      const parsed = klingLookupReplySchema.safeParse(await call('GET', path, undefined, signal));
      if (!parsed.success) throw new ProviderError('transient', 'Kling lookup reply did not match the expected shape');
      return taskIdForExternalId(parsed.data.data, clientTaskId);
    } catch (error) {
      if (error instanceof ProviderError && isNotFound(error)) return undefined;
      throw error;
    }
  }

  return {
    name: 'kling',

    async submit(request, signal) {
      if (request.kind === 'i2v' && !request.image) throw new ProviderError('rejected', 'Image-to-video needs an input image');
      const json = await call('POST', `/v1/videos/${KLING_KIND_PATH[request.kind]}`, buildKlingCreateBody(request), signal);
      const parsed = klingCreateReplySchema.safeParse(json);
      if (!parsed.success) throw new ProviderError('transient', 'Kling create reply carries no task id');
      return { externalTaskId: parsed.data.data.task_id };
    },

    async fetchStatus(ref, signal) {
      const path = `/v1/videos/${KLING_KIND_PATH[ref.kind]}/${encodeURIComponent(ref.externalTaskId)}`;
      const parsed = klingQueryReplySchema.safeParse(await call('GET', path, undefined, signal));
      if (!parsed.success) throw new ProviderError('transient', 'Kling query reply did not match the expected shape');
      return mapKlingTask(parsed.data.data);
    },

    /**
     * By our `external_task_id`, in the two forms public material shows (docs/providers.md, "Kling's official API"):
     * first `GET /v1/videos/{kind}?external_task_id=<id>` (an annotated copy of Kling's reference, and most public
     * clients); when that finds nothing, `GET /v1/videos/{kind}/<id>?external_task_id=true` (other clients). Never
     * our id alone in the task-id slot: that slot names Kling's own ids. Neither form is confirmed against the live
     * API (that needs a real key), so a reply counts only when it shows our task (taskIdForExternalId).
     */
    async findByClientTaskId(ref, signal) {
      const collection = `/v1/videos/${KLING_KIND_PATH[ref.kind]}`;
      const id = encodeURIComponent(ref.clientTaskId);
      for (const path of [`${collection}?external_task_id=${id}`, `${collection}/${id}?external_task_id=true`]) {
        const externalTaskId = await lookUp(path, ref.clientTaskId, signal);
        if (externalTaskId) return { externalTaskId };
      }
      return null;
    },
  };
}

/**
 * "No such task" (404, 1202/1203), or "cannot look it up this way" (1200/1201: a form Kling does not take). Either
 * way this form found nothing; auth, rate-limit and server errors still throw.
 */
function isNotFound(error: ProviderError): boolean {
  const code = error.details.providerCode;
  return error.details.httpStatus === 404 || code === 1200 || code === 1201 || code === 1202 || code === 1203;
}
