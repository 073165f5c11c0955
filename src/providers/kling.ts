import { parseJson, readRetryAfterMs, sendRequest, type FetchFn } from './http.js';
import { createKlingTokenSource } from './kling-jwt.js';
import {
  buildKlingCreateBody,
  isKlingAuthCode,
  KLING_KIND_PATH,
  klingCreateReplySchema,
  klingEnvelopeSchema,
  klingQueryReplySchema,
  mapKlingError,
  mapKlingTask,
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
     * Best guess, UNCONFIRMED (providers.md §2.6): the docs say a task can be queried by `external_task_id` but not
     * how; we put it in the task-id path slot of the single-task query.
     */
    async findByClientTaskId(ref, signal) {
      const path = `/v1/videos/${KLING_KIND_PATH[ref.kind]}/${encodeURIComponent(ref.clientTaskId)}`;
      try {
        const parsed = klingQueryReplySchema.safeParse(await call('GET', path, undefined, signal));
        if (!parsed.success) throw new ProviderError('transient', 'Kling query reply did not match the expected shape');
        return { externalTaskId: parsed.data.data.task_id };
      } catch (error) {
        if (error instanceof ProviderError && isNotFound(error)) return null;
        throw error;
      }
    },
  };
}

/**
 * "No such task" (404, 1202/1203), or "cannot look it up" (1200/1201: Kling may refuse a non-numeric id in the
 * task-id slot). The interface asks for null in both cases; auth, rate-limit and server errors still throw.
 */
function isNotFound(error: ProviderError): boolean {
  const code = error.details.providerCode;
  return error.details.httpStatus === 404 || code === 1200 || code === 1201 || code === 1202 || code === 1203;
}
