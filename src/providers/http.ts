import { ProviderError } from './video-provider.js';

/** The subset of `fetch` the adapters use; tests and the composition root may pass their own. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

/** A reply read in full: adapters look at the status first and parse the text with zod afterwards. */
export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Sends one request with a deadline and reads the whole body under the same deadline.
 * Network failures, timeouts and caller aborts become transient ProviderErrors, because none of them tells us
 * whether the provider acted on the request.
 */
export async function sendRequest(
  fetchFn: FetchFn,
  url: string,
  init: RequestInit,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<HttpReply> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await fetchFn(url, { ...init, signal });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    if (timeout.aborted) {
      throw new ProviderError('transient', `No reply from ${new URL(url).host} within ${options.timeoutMs} ms`, {}, { cause: error });
    }
    if (options.signal?.aborted) {
      throw new ProviderError('transient', 'Request aborted by the caller', {}, { cause: error });
    }
    throw new ProviderError('transient', `Network error talking to ${new URL(url).host}`, {}, { cause: error });
  }
}

/** Parses JSON without throwing: malformed replies are the adapters' to classify. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads `Retry-After` (delta seconds or an HTTP date) as milliseconds from `nowMs`; undefined when absent or unreadable. */
export function readRetryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** Classifies an HTTP status when the provider's body says nothing more specific. */
export function errorForHttpStatus(
  status: number,
  message: string,
  details: { providerCode?: number | string; retryAfterMs?: number | undefined } = {},
): ProviderError {
  const common = { httpStatus: status, ...(details.providerCode === undefined ? {} : { providerCode: details.providerCode }) };
  if (status === 401 || status === 403) return new ProviderError('unauthorized', message, common);
  if (status === 429 || status >= 500) {
    return new ProviderError('transient', message, details.retryAfterMs === undefined ? common : { ...common, retryAfterMs: details.retryAfterMs });
  }
  if (status >= 400) return new ProviderError('rejected', message, common);
  // A 1xx/2xx/3xx that still is not what we expected: let the caller try again later.
  return new ProviderError('transient', message, common);
}
