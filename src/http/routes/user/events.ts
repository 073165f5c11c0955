import { findCreation } from '../../../db/queries/creations.js';
import { currentTaskSnapshot } from '../../../db/queries/task-changes.js';
import { findUserTasksChangedSince, snapshotSchema } from '../../../db/queries/user-task-changes.js';
import { asService, readAsUser } from '../../../db/scope.js';
import type { Deps } from '../../../deps.js';
import { createTaskEventHub, type TaskChange } from '../../../domain/events/task-events.js';
import { currentUser, requireUser, type SessionOptions } from '../../session.js';
import { errorBody, type App } from '../../types.js';
import { createStreamSlots } from './stream-slots.js';

/**
 * `GET /api/user/events`: a server-sent events stream of the signed-in user's task changes. Each change is sent as
 * `event: task` with the task in the fetch-creation shape, read under the user's RLS scope; a comment line every
 * SSE_HEARTBEAT_MS (15 s) keeps proxies from closing an idle stream, and the stream ends when its session does.
 * Everything is released when the client goes away.
 * Each open stream holds a socket and a subscription, so a user may hold SSE_MAX_STREAMS_PER_USER and the process
 * SSE_MAX_STREAMS; beyond, 429.
 *
 * Resuming: each event's `id` is a database snapshot taken once the stream listens, also sent on its own (an `id:`
 * line without data, which sets EventSource's last event id and dispatches nothing) as soon as it is taken. A client
 * that reconnects with `Last-Event-ID` (EventSource does so by itself; streams end when an instance shuts down, or
 * when a change cannot be read) first gets every task of theirs changed since that snapshot, in its current state,
 * so no change falls between two streams.
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
      const resumeFrom = snapshotSchema.safeParse(request.headers['last-event-id']).data;
      const release = slots.claim(user.id);
      const raw = reply.raw;
      let closed = false;
      // Jobs run one at a time, in order (the client sees changes in the order they were announced), once the stream
      // is open. One that fails ends the stream: its client comes back with Last-Event-ID and is sent what this
      // stream could not send.
      let opened!: () => void;
      let queue = new Promise<void>((resolve) => (opened = resolve));
      const enqueue = (job: () => Promise<void>) => {
        queue = queue.then(job).catch((err: unknown) => {
          request.log.warn({ err }, 'could not send a task event; ending the stream');
          end();
        });
      };
      // The id events carry, which a stream resumed with it replays from: this stream's snapshot once taken and
      // its replay sent; until then, the id this stream resumed from.
      let cursor = resumeFrom ?? '';
      const send = (text: string) => {
        if (!closed) raw.write(text);
      };
      const sendTask = async (taskId: number) => {
        if (closed) return;
        const task = await readAsUser(deps.db, user, (q) => findCreation(q, user.id, taskId));
        if (task) send(`id: ${cursor}\nevent: task\ndata: ${JSON.stringify(task)}\n\n`);
      };
      // A task announced again before its turn is read once, in its latest state: a stream that falls behind
      // catches up by tasks, not by changes.
      const waiting = new Set<number>();
      const announce = (taskId: number) => {
        if (waiting.has(taskId)) return;
        waiting.add(taskId);
        enqueue(async () => {
          waiting.delete(taskId);
          await sendTask(taskId);
        });
      };
      // First in line, run once listening: a snapshot taken then misses nothing, as every change it cannot see is
      // announced to this stream.
      enqueue(async () => {
        const snapshot = await readAsUser(deps.db, user, (q) => currentTaskSnapshot(q));
        if (resumeFrom) {
          const changed = await asService(deps.db, (q) => findUserTasksChangedSince(q, user.id, resumeFrom));
          for (const taskId of changed) await sendTask(taskId);
        }
        cursor = snapshot;
        // The cursor alone: an id without data dispatches no event, yet a client that loses this stream before any
        // task event comes back with it.
        send(`id: ${cursor}\n\n`);
      });
      // After a gap in the announcements the stream ends: its client's resume sends what went unannounced.
      const listener = { onChange: (change: TaskChange) => announce(change.taskId), onGap: () => enqueue(async () => end()) };
      const unsubscribe = await hub.subscribe(user.id, listener).catch((err: unknown) => {
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
      // With each heartbeat the stream checks it may still be open: one whose session has ended since (signed out,
      // password changed, account deleted) ends, as that session's next request would be refused.
      const heartbeat = setInterval(() => {
        send(': heartbeat\n\n');
        session.admit(user).then(
          (admitted) => {
            if (!admitted) end();
          },
          (err: unknown) => request.log.warn({ err }, 'could not check the stream’s session'),
        );
      }, deps.config.SSE_HEARTBEAT_MS);
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
      opened();
    },
  });
}
