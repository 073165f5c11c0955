import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeAi302, ai302Error, renderAi302Task } from './ai302-routes.js';
import { createFaults, type FaultControls, type FaultKind } from './faults.js';
import { klingError, renderKlingTask, routeKling } from './kling-routes.js';
import { loadMedia, serveMedia } from './media.js';
import { readFormBody, readJsonBody, type RecordedRequest, type SimReply, type SimRequest } from './messages.js';
import { loadState, savePort, saveTask } from './state.js';
import { phaseOf, type Ai302TaskIdForm, type SimContext, type SimTask } from './tasks.js';

export type { FaultControls, FaultKind, FaultSettings } from './faults.js';
export type { RecordedRequest } from './messages.js';
export type { Ai302TaskIdForm } from './tasks.js';

/** How to start the simulator. Keys are what the adapters must present; `now` and `random` are for tests. */
export interface SimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Time from creation to the final state; a third of it is spent queued. */
  delayMs: number;
  /** Probability in [0,1] that a task ends failed. */
  failureRate: number;
  /** How 302 task ids look (see Ai302TaskIdForm); `digits` unless set. */
  ai302TaskIds?: Ai302TaskIdForm;
  ai302ApiKey: string;
  klingAccessKey: string;
  klingSecretKey: string;
  now?: () => number;
  random?: () => number;
  /**
   * Keep every API request in `requests`, bodies included, for tests to inspect (the default). A simulator that
   * runs for long (the service's built-in one, `npm run simulator`) keeps none: they would only grow.
   */
  recordRequests?: boolean;
  /**
   * Keeps the tasks in this folder (the service's built-in simulator: DATA_DIR/simulator) and listens again on the
   * port recorded there, unless `port` says otherwise: the result URLs it gave, and its unfinished tasks, then
   * outlive a restart. Without it, everything lives as long as the process (tests).
   */
  stateDir?: string;
}

/** A running simulator. */
export interface Simulator {
  /** e.g. `http://127.0.0.1:4010`: the base URL for both adapters. */
  url: string;
  faults: FaultControls;
  /** Every API request received (not media downloads), oldest first; empty when `recordRequests` is false. */
  requests: RecordedRequest[];
  /** Tasks by provider id, to inspect from tests. */
  tasks: ReadonlyMap<string, SimTask>;
  /** The most API requests it has had open at once (a held `hang` reply counts until it is sent). */
  peakConcurrentRequests(): number;
  /**
   * With a stateDir whose recorded port was taken: the previous base URL, whose result URLs cannot be fetched until
   * the simulator listens there again.
   */
  previousUrl?: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 25 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function write(res: ServerResponse, simReply: SimReply): void {
  if (res.destroyed) return;
  const text = JSON.stringify(simReply.body);
  res.writeHead(simReply.status, { 'content-type': 'application/json', ...simReply.headers }).end(text);
}

type ErrorFault = Exclude<FaultKind, 'hang' | 'malformed' | 'reset'>;

/**
 * The provider-shaped reply for an error fault (see FaultKind). 302 documents no rate-limit code: its 429 carries
 * -10429, the simulator's own, so the adapter must classify it by HTTP status, as it must any code 302 adds.
 */
function faultReply(fault: ErrorFault, isKling: boolean, retryAfterSeconds: number): SimReply {
  const retry = { 'retry-after': String(retryAfterSeconds) };
  switch (fault) {
    case 'status429':
      return isKling ? klingError(429, 1302, 'requests too fast', retry) : ai302Error(429, -10429, 'Too many requests', 'rate_limit', retry);
    case 'status500':
      return isKling ? klingError(500, 5000, 'internal error') : ai302Error(500, -1024, 'AI interface connection timeout, please try again later', 'server_error');
    case 'noCapacity':
      return isKling ? klingError(503, 5001, 'service temporarily unavailable') : ai302Error(503, -10008, 'No available models', 'service_unavailable');
    case 'noBalance':
      return isKling ? klingError(429, 1102, 'resource pack exhausted') : ai302Error(403, -10004, 'Insufficient account balance', 'insufficient_balance');
  }
}

/** Starts an HTTP server that speaks 302.ai's Kling proxy and Kling's official API on one port. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const faults = createFaults(random);
  const media = loadMedia();
  const state = options.stateDir === undefined ? undefined : loadState(options.stateDir);
  const saved = new Set(state?.tasks.map((task) => task.id));
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const klingKeys = { accessKey: options.klingAccessKey, secret: new TextEncoder().encode(options.klingSecretKey) };

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  /** Best effort, no retries, like a provider that does not care whether we listen. */
  function notify(task: SimTask): void {
    const phase = phaseOf(task, context);
    if (!task.callbackUrl || task.notifiedPhase === phase) return;
    task.notifiedPhase = phase;
    const body = task.provider === 'kling' ? renderKlingTask(context, task) : renderAi302Task(context, task);
    fetch(task.callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    }).then((r) => r.body?.cancel(), () => undefined);
  }

  const context: SimContext = {
    baseUrl: '',
    delayMs: options.delayMs,
    failureRate: options.failureRate,
    ai302TaskIds: options.ai302TaskIds ?? 'digits',
    ai302Issued: 0,
    now,
    random,
    tasks: new Map(state?.tasks.map((task) => [task.id, task])),
    onTouched(task) {
      if (options.stateDir !== undefined && !saved.has(task.id)) {
        saveTask(options.stateDir, task);
        saved.add(task.id);
      }
      // Polls notice changes under an injected clock; the timers cover callers that never poll.
      const isNew = task.notifiedPhase === undefined;
      notify(task);
      if (isNew && task.callbackUrl) for (const at of [options.delayMs / 3, options.delayMs]) later(at + 5, () => notify(task));
    },
  };

  let open = 0;
  let peakOpen = 0;

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    open += 1;
    peakOpen = Math.max(peakOpen, open);
    res.once('close', () => (open -= 1));
    const request: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      contentType: req.headers['content-type'] ?? '',
      body: await readBody(req),
    };
    if (options.recordRequests !== false) {
      const query = Object.fromEntries(url.searchParams);
      requests.push({ method: request.method, path: request.path, query, headers: req.headers, body: await recordBody(request), at: now() });
    }
    const isKling = request.path.startsWith('/v1/');
    const fault = faults.next();
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault === 'status429' || fault === 'status500' || fault === 'noCapacity' || fault === 'noBalance') {
      write(res, faultReply(fault, isKling, faults.settings().retryAfterSeconds));
      return;
    }
    const simReply =
      (await routeAi302(context, options.ai302ApiKey, request)) ??
      (await routeKling(context, klingKeys, request)) ??
      { status: 404, body: { error: 'not found' } };
    if (fault === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":1,"data":{"status":');
    } else if (fault === 'hang') {
      later(faults.settings().hangMs, () => write(res, simReply));
    } else {
      write(res, simReply);
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator.local');
    if (serveMedia(context, media, req, res, url.pathname)) return;
    handleApi(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) write(res, { status: 500, body: { error: String(error) } });
    });
  });

  const host = options.host ?? '127.0.0.1';
  const wanted = options.port ?? state?.port ?? 0;
  const listened = await listen(server, wanted, host).catch(async (error: unknown) => {
    // Only a recorded port may be given up (someone took it meanwhile); a port asked for is an error.
    if (options.port !== undefined || wanted === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return listen(server, 0, host);
  });
  context.baseUrl = `http://${formatHost(listened.address)}:${listened.port}`;
  if (options.stateDir !== undefined) savePort(options.stateDir, listened.port);
  const previousUrl = state?.port !== undefined && state.port !== listened.port ? `http://${formatHost(listened.address)}:${state.port}` : undefined;

  return {
    url: context.baseUrl,
    faults,
    requests,
    tasks: context.tasks,
    peakConcurrentRequests: () => peakOpen,
    ...(previousUrl === undefined ? {} : { previousUrl }),
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      if (!address || typeof address === 'string') reject(new Error('simulator did not get a TCP address'));
      else resolve(address);
    });
  });
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

async function recordBody(request: SimRequest): Promise<unknown> {
  if (request.body.length === 0) return undefined;
  return (await readFormBody(request)) ?? readJsonBody(request) ?? request.body.toString('utf8');
}
