import { findCreation } from '../../../db/queries/creations.js';
import { readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { createTaskEventHub } from '../../../domain/events/task-events.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { createStreamSlots } from './stream-slots.js';

/**
 * `GET /api/user/events`: a server-sent events stream of the signed-in user's task changes. Each change is sent as
 * `event: task` with the task in the fetch-creation shape, read under the user's RLS scope; a comment line every
 * SSE_HEARTBEAT_MS (15 s) keeps proxies from closing an idle stream. Everything is released when the client goes away.
 * Each open stream holds a socket and a subscription, so a user may hold SSE_MAX_STREAMS_PER_USER and the process
 * SSE_MAX_STREAMS; beyond, 429.
 */
export function registerUserEvents(app: App, deps: Deps, session: SessionOptions): void {
  const hub = createTaskEventHub(deps.db, deps.logger, { pollMs: deps.config.EVENTS_POLL_MS });
  const open = new Set<() => void>();
  const slots = createStreamSlots({ perUser: deps.config.SSE_MAX_STREAMS_PER_USER, total: deps.config.SSE_MAX_STREAMS });
  // Streams never end on their own: end them before the server closes, or shutdown would wait on them forever.
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });
  app.addHook('onClose', async () => hub.close());

  app.get('/api/user/events', {
    preHandler: requireUser(session),
    schema: {
      tags: ['user'],
      summary: 'Server-sent events: the signed-in user’s task changes as they happen (event: task, data: creation JSON)',
      produces: ['text/event-stream'],
      response: { 401: errorBody, 429: errorBody },
    },
    handler: async (request, reply) => {
      const user = currentUser(request);
      const release = slots.claim(user.id);
      const raw = reply.raw;
      let closed = false;
      let queue = Promise.resolve();
      const send = (text: string) => {
        if (!closed) raw.write(text);
      };
      const unsubscribe = await hub
        .subscribe(user.id, (change) => {
          // One read at a time, in order: the client sees changes in the order they were announced.
          queue = queue.then(async () => {
            if (closed) return;
            const task = await readAsUser(deps.db, user, (q) => findCreation(q, user.id, change.taskId));
            if (task) send(`event: task\ndata: ${JSON.stringify(task)}\n\n`);
          }).catch((err: unknown) => request.log.warn({ err }, 'could not send a task event'));
        })
        .catch((err: unknown) => {
          release();
          throw err;
        });
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
      });
      send(': connected\n\n');
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), deps.config.SSE_HEARTBEAT_MS);
      heartbeat.unref();
      const cleanUp = () => {
        if (closed) return;
        closed = true;
        open.delete(end);
        release();
        clearInterval(heartbeat);
        unsubscribe();
      };
      const end = () => {
        cleanUp();
        raw.end();
      };
      open.add(end);
      request.raw.socket.once('close', cleanUp);
      raw.once('close', cleanUp);
    },
  });
}
