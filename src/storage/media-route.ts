import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs/promises';
import { contentTypeForKey, isValidKey, resolveKeyPath } from './keys.js';

export interface MediaRoutesOptions {
  /** The local driver's root folder (the same `root` given to createLocalStorage). */
  root: string;
  /** Only keys under this prefix are served; other objects (users' uploaded images) are never reachable by URL. */
  publicPrefix: string;
}

type ByteRange = { start: number; end: number };

/**
 * Serves the local driver's files at `GET|HEAD /media/*` with HTTP range support, so browsers can seek videos.
 * Keys are immutable, so responses are cacheable for a year. Anything that is not a valid key (traversal,
 * dot segments such as the `.tmp` upload folder) or not a file gets the same JSON 404.
 */
export function mediaRoutes(options: MediaRoutesOptions): FastifyPluginAsync {
  return async (app) => {
    // HEAD is declared explicitly: Fastify's automatic HEAD route would reset Content-Length to 0.
    app.route<{ Params: { '*': string } }>({
      method: ['GET', 'HEAD'],
      url: '/media/*',
      handler: async (request, reply) => {
        const key = request.params['*'];
        if (!isValidKey(key) || !key.startsWith(options.publicPrefix)) return sendNotFound(reply);
        const handle = await fs.open(resolveKeyPath(options.root, key), 'r').catch(() => undefined);
        if (handle === undefined) return sendNotFound(reply);
        try {
          return await sendFile(request, reply, handle, key);
        } catch (err) {
          await handle.close().catch(() => undefined);
          throw err;
        }
      },
    });
  };
}

/** Replies with the open file (or the requested range of it); closes `handle` unless a stream takes it over. */
async function sendFile(request: FastifyRequest, reply: FastifyReply, handle: fs.FileHandle, key: string): Promise<FastifyReply> {
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    return sendNotFound(reply);
  }
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  reply
    .header('accept-ranges', 'bytes')
    .header('content-type', contentTypeForKey(key))
    .header('cache-control', 'public, max-age=31536000, immutable')
    .header('etag', etag)
    .header('last-modified', stat.mtime.toUTCString());

  const range = selectRange(request, etag, stat.size);
  if (range === 'unsatisfiable') {
    await handle.close();
    return reply
      .code(416)
      .header('content-range', `bytes */${stat.size}`)
      .header('content-type', 'application/json; charset=utf-8')
      .send({ error: 'Range not satisfiable', code: 'range_not_satisfiable' });
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  if (range !== undefined) reply.code(206).header('content-range', `bytes ${start}-${end}/${stat.size}`);
  reply.header('content-length', String(end - start + 1));
  if (request.method === 'HEAD' || stat.size === 0) {
    await handle.close();
    return reply.send();
  }
  return reply.send(handle.createReadStream({ start, end }));
}

function sendNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).header('cache-control', 'no-store').send({ error: 'Not found', code: 'not_found' });
}

/** The range to serve: undefined for the whole file (no, stale or unparseable Range header). */
function selectRange(request: FastifyRequest, etag: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const header = request.headers.range;
  if (header === undefined) return undefined;
  const ifRange = request.headers['if-range'];
  // If-Range with an old validator means the client's partial copy is stale: send the whole file.
  if (ifRange !== undefined && ifRange !== etag) return undefined;
  return parseRange(header, size);
}

/**
 * Parses a single `bytes=` range (RFC 9110 §14.1.2). Syntactically invalid or multi-range headers are
 * ignored (the whole file is sent, which the RFC allows); a valid range wholly past the end is unsatisfiable.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}
