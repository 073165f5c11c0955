import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/** Where requests go: an https base URL trusted through `ca`, or plain http; optionally from a given local address. */
export interface Target {
  base: string;
  ca?: Buffer;
  localAddress?: string;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json(): unknown;
}

function send(target: Target, method: string, path: string, headers: Record<string, string | number>, body?: Buffer): Promise<IncomingMessage> {
  const url = new URL(path, target.base);
  const make = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(url, { method, headers, ca: target.ca, localAddress: target.localAddress, agent: false }, resolve);
    req.once('error', reject);
    req.end(body);
  });
}

/** One request, its whole answer read. */
export async function call(
  target: Target,
  method: string,
  path: string,
  options: { headers?: Record<string, string | number>; json?: unknown; body?: Buffer } = {},
): Promise<Answer> {
  const headers = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = Buffer.from(JSON.stringify(options.json));
    headers['content-type'] = 'application/json';
  }
  if (body) headers['content-length'] = body.length;
  const response = await send(target, method, path, headers, body);
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const all = Buffer.concat(chunks);
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    body: all,
    text: () => all.toString('utf8'),
    json: () => JSON.parse(all.toString('utf8')) as unknown,
  };
}

/** A server-sent events block as it arrived, with the time it arrived. */
export interface EventBlock {
  at: number;
  event?: string;
  data?: string;
  comment?: string;
}

export interface EventStream {
  status: number;
  headers: IncomingHttpHeaders;
  blocks: EventBlock[];
  ended(): boolean;
  /** Resolves with the first block (already arrived or to come) that `match` accepts; rejects after `timeoutMs`. */
  next(match: (block: EventBlock) => boolean, timeoutMs: number): Promise<EventBlock>;
  close(): void;
}

/** Opens a server-sent events stream and parses its blocks as they arrive, chunk by chunk. */
export async function openEvents(target: Target, path: string, headers: Record<string, string>): Promise<EventStream> {
  // A proxy that buffers the stream holds back even its headers: fail in seconds, not at the test's timeout.
  let timer: NodeJS.Timeout | undefined;
  const response = await Promise.race([
    send(target, 'GET', path, { accept: 'text/event-stream', ...headers }),
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to GET ${path} within 5 s (buffered by a proxy?)`)), 5_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const blocks: EventBlock[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  let ended = false;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    buffered += chunk;
    let cut: number;
    while ((cut = buffered.indexOf('\n\n')) >= 0) {
      const raw = buffered.slice(0, cut);
      buffered = buffered.slice(cut + 2);
      const block: EventBlock = { at: Date.now() };
      for (const line of raw.split('\n')) {
        if (line.startsWith(':')) block.comment = line.slice(1).trim();
        else if (line.startsWith('event:')) block.event = line.slice(6).trim();
        else if (line.startsWith('data:')) block.data = (block.data === undefined ? '' : `${block.data}\n`) + line.slice(5).trim();
      }
      blocks.push(block);
    }
    for (const wake of waiters) wake();
  });
  const finish = () => {
    ended = true;
    for (const wake of waiters) wake();
  };
  response.once('end', finish);
  response.once('close', finish);
  response.once('error', finish);
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    blocks,
    ended: () => ended,
    next(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = blocks.find(match);
          if (found) {
            cleanUp();
            resolve(found);
          } else if (ended) {
            cleanUp();
            reject(new Error(`the event stream ended first; it held ${JSON.stringify(blocks)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanUp();
          reject(new Error(`no matching event within ${timeoutMs} ms; the stream held ${JSON.stringify(blocks)}`));
        }, timeoutMs);
        const cleanUp = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => response.destroy(),
  };
}
