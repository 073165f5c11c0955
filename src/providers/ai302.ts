import { mapAi302HttpError, readAi302CreateReply, readAi302FetchReply } from './ai302-wire.js';
import { parseJson, readRetryAfterMs, sendRequest, type FetchFn, type HttpReply } from './http.js';
import { ProviderError, type SubmitRequest, type VideoProvider } from './video-provider.js';

/** The regions 302.ai's status fetch can be pointed at (its optional `geo` parameter). */
export type Ai302Geo = 'global' | 'cn';

/** What the 302.ai adapter needs; `fetch` defaults to the global one. */
export interface Ai302Options {
  apiKey: string;
  /** e.g. `https://api.302.ai`, without a trailing path. */
  baseUrl: string;
  /** Sent as `?geo=` on status fetches when set: which of 302's regions (`global` or `cn`) serves them. */
  geo?: Ai302Geo | undefined;
  /** Deadline for each HTTP call, body included. */
  timeoutMs: number;
  fetch?: FetchFn;
  /** Clock for Retry-After dates; defaults to Date.now. */
  now?: () => number;
}

/**
 * Builds the multipart body 302.ai documents for its `m2v_*` endpoints (providers.md §1.3). Numbers travel as
 * strings. Our camera type `simple` is Kling's one-axis move; 302 names that axis `horizontal` and takes the amount
 * in `camera_value`, while the preset moves (`down_back`, …) take no value.
 */
export function buildAi302Form(request: SubmitRequest): FormData {
  const form = new FormData();
  form.set('prompt', request.prompt);
  form.set('negative_prompt', request.negativePrompt);
  form.set('cfg', String(request.cfg));
  if (request.kind === 't2v') form.set('aspect_ratio', request.aspectRatio);
  if (request.camera) {
    if (request.camera.type === 'simple') {
      form.set('camera_type', 'horizontal');
      form.set('camera_value', String(request.camera.value));
    } else {
      form.set('camera_type', request.camera.type);
    }
  }
  if (request.kind === 'i2v' && request.image) {
    const extension = request.image.contentType === 'image/png' ? 'png' : 'jpg';
    form.set('input_image', new Blob([new Uint8Array(request.image.bytes)], { type: request.image.contentType }), `input.${extension}`);
  }
  if (request.callbackUrl) form.set('callback', request.callbackUrl);
  return form;
}

/** The 302.ai Kling proxy (web-style `m2v_*` endpoints), authenticated with a Bearer API key. */
export function createAi302Provider(options: Ai302Options): VideoProvider {
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' };
  const fetchQuery = options.geo ? `?geo=${options.geo}` : '';

  async function call(path: string, init: RequestInit, signal: AbortSignal | undefined): Promise<unknown> {
    const reply: HttpReply = await sendRequest(fetchFn, `${baseUrl}${path}`, init, { timeoutMs: options.timeoutMs, signal });
    const json = parseJson(reply.text);
    if (reply.status < 200 || reply.status >= 300) {
      throw mapAi302HttpError(reply.status, json, readRetryAfterMs(reply.headers, now()));
    }
    if (json === undefined) throw new ProviderError('transient', '302.ai replied with malformed JSON', { httpStatus: reply.status });
    return json;
  }

  return {
    name: 'ai302',

    async submit(request, signal) {
      if (request.kind === 'i2v' && !request.image) throw new ProviderError('rejected', 'Image-to-video needs an input image');
      // The body is rebuilt per call: a FormData stream cannot be replayed.
      const json = await call(`/klingai/${encodeURIComponent(request.model)}`, { method: 'POST', headers, body: buildAi302Form(request) }, signal);
      return readAi302CreateReply(json);
    },

    async fetchStatus(ref, signal) {
      const json = await call(`/klingai/task/${encodeURIComponent(ref.externalTaskId)}/fetch${fetchQuery}`, { method: 'GET', headers }, signal);
      return readAi302FetchReply(json);
    },
  };
}
