import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy.js';

/**
 * Why a download did not happen. `refused`: our SSRF rules forbid the address (never retried as if the network
 * were at fault, and reported as such); `failed`: the network or the server let us down.
 */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(readonly kind: 'refused' | 'failed', message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface SafeGetOptions {
  policy: AddressPolicy;
  /** Deadline for the whole download, body included. */
  timeoutMs: number;
  /** A stalled connection fails after this long without a byte. */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface SafeResponse {
  contentType: string | undefined;
  contentLength: number | undefined;
  /** The body as a stream; the caller must consume or destroy it. */
  body: IncomingMessage;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs `url` under the SSRF rules: http(s) only; every address the host name resolves to must pass `policy`, and
 * the check happens in the connection's own DNS lookup, so the address checked is the address connected to (no
 * rebinding window); redirects are followed by hand, at most `maxRedirects`, each target checked the same way.
 */
export async function safeGet(url: string, options: SafeGetOptions): Promise<SafeResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const maxRedirects = options.maxRedirects ?? 3;
  let current = parseUrl(url);
  for (let hop = 0; ; hop++) {
    checkTarget(current, options.policy);
    const response = await get(current, options, signal);
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      response.resume();
      const location = response.headers.location;
      if (!location) throw new DownloadError('failed', `Redirect without a Location from ${current.host}`);
      if (hop >= maxRedirects) throw new DownloadError('refused', `More than ${maxRedirects} redirects`);
      current = parseUrl(location, current);
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new DownloadError('failed', `Failed to download from external URL: HTTP ${status} from ${current.host}`);
    }
    const length = Number(response.headers['content-length']);
    return { contentType: response.headers['content-type'], contentLength: Number.isFinite(length) ? length : undefined, body: response };
  }
}

function parseUrl(text: string, base?: URL): URL {
  try {
    return new URL(text, base);
  } catch {
    throw new DownloadError('refused', 'Not a valid URL');
  }
}

/** Scheme and literal-address checks; host names are checked at lookup time (guardedLookup). */
function checkTarget(url: URL, policy: AddressPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DownloadError('refused', `Refusing to download a ${url.protocol} URL`);
  if (url.username || url.password) throw new DownloadError('refused', 'Refusing a URL with credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !policy(host)) throw new DownloadError('refused', `Refusing to download from the address ${host}`);
}

/** A DNS lookup that fails when any resolved address is forbidden: the connection then never opens. */
function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const forbidden = addresses.find((a) => !policy(a.address));
      if (forbidden || addresses.length === 0) {
        const why = forbidden ? `${hostname} resolves to the forbidden address ${forbidden.address}` : `${hostname} has no address`;
        return callback(new DownloadError('refused', `Refusing to download: ${why}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function get(url: URL, options: SafeGetOptions, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, {
      lookup: guardedLookup(options.policy),
      signal,
      // A fresh connection per download: a pooled socket would skip the lookup and its check.
      agent: false,
      headers: { accept: '*/*', 'user-agent': 'SimpleVideo-archiver/1' },
    });
    request.setTimeout(options.idleTimeoutMs ?? 30_000, () => request.destroy(new DownloadError('failed', `No data from ${url.host} for too long`)));
    request.once('response', resolve);
    request.once('error', (error) => {
      if (error instanceof DownloadError) reject(error);
      else if (signal.aborted) reject(new DownloadError('failed', `Download from ${url.host} timed out or was aborted`, { cause: error }));
      else reject(new DownloadError('failed', `Failed to download from ${url.host}: ${error.message}`, { cause: error }));
    });
  });
}
