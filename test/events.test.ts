import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../src/db/db.js';
import { createPostgresDb } from '../src/db/postgres.js';
import { findProduct } from '../src/domain/catalog.js';
import { pollTaskChanges } from '../src/domain/events/task-change-poller.js';
import { TASK_CHANGES_CHANNEL, type TaskChange } from '../src/domain/events/task-events.js';
import { errors } from '../src/errors.js';
import { runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTestDb, TEST_DATABASE, type TestDb } from './helpers/db.js';
import { createTask } from './helpers/lifecycle.js';
import type { Deps } from '../src/deps.js';

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => t?.close());

/** Reads server-sent events from a streaming response until `until` is satisfied. */
async function readEvents(body: ReadableStream<Uint8Array>, until: (events: Array<{ event: string; data: unknown; id?: string }>) => boolean) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: unknown; id?: string }> = [];
  let buffer = '';
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      const id = /^id: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data), ...(id !== undefined && { id }) });
    }
  }
  reader.releaseLock();
  return events;
}

describe('GET /api/user/events', () => {
  it('needs a signed-in user', async () => {
    expect((await fetch(`${base}/api/user/events`)).status).toBe(401);
  });

  it("streams the user's own task changes, not other users'", async () => {
    const user = await t.signUp();
    const other = await t.signUp();
    const controller = new AbortController();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);

    await createTask(t, findProduct('ai302-t2v-5s')!, other);
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    t.clock.advance(6_000);
    await runSyncOnce(t.deps);

    const events = await readEvents(res.body!, (all) => all.some((e) => (e.data as { status: string }).status === 'completed'));
    controller.abort();
    expect(events.every((e) => e.event === 'task' && (e.data as { id: number }).id === taskId)).toBe(true);
    expect(events.at(-1)!.data).toMatchObject({ id: taskId, user_id: user.id, status: 'completed', result_url: expect.stringMatching(/^http/) });
  });

  it("resumes from Last-Event-ID: what changed while no stream was open comes first, and none of other users' tasks", async () => {
    const user = await t.signUp();
    const other = await t.signUp();
    const first = new AbortController();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth, signal: first.signal });
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const seen = await readEvents(res.body!, (all) => all.length > 0);
    first.abort();
    const lastEventId = seen[0]!.id!;
    expect(lastEventId).toMatch(/^\d+:\d+:/);

    // No stream open: the task completes, and another user's task is made and completes.
    await createTask(t, findProduct('ai302-t2v-5s')!, other);
    t.clock.advance(6_000);
    await runSyncOnce(t.deps);

    const resumed = new AbortController();
    const again = await fetch(`${base}/api/user/events`, { headers: { ...user.auth, 'last-event-id': lastEventId }, signal: resumed.signal });
    const replayed = await readEvents(again.body!, (all) => all.some((e) => (e.data as { status: string }).status === 'completed'));
    resumed.abort();
    expect(replayed.every((e) => (e.data as { id: number }).id === taskId)).toBe(true);
    expect(replayed.at(-1)!.data).toMatchObject({ id: taskId, status: 'completed' });
  });

  it('ignores a Last-Event-ID that is not one of its ids', async () => {
    const user = await t.signUp();
    const controller = new AbortController();
    const res = await fetch(`${base}/api/user/events`, { headers: { ...user.auth, 'last-event-id': "1:1:'; drop table x" }, signal: controller.signal });
    expect(res.status).toBe(200);
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    const events = await readEvents(res.body!, (all) => all.length > 0);
    controller.abort();
    expect(events[0]!.data).toMatchObject({ id: taskId });
  });

  it.skipIf(TEST_DATABASE !== 'postgres')('ends when its LISTEN connection comes back after a drop; the resume sends what went unannounced', async () => {
    const user = await t.signUp();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth });
    const { text } = await readText(res.body!, (all) => CURSOR.test(all));
    const { rows } = await t.deps.db.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and query = 'listen "task_changes"' and pid <> pg_backend_pid()`,
    );
    expect(rows).toHaveLength(1);
    await t.deps.db.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
    // Made while the connection may be down: its notification may be lost.
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    expect(await readText(res.body!, () => false)).toMatchObject({ ended: true });

    const resumed = new AbortController();
    const again = await fetch(`${base}/api/user/events`, { headers: { ...user.auth, 'last-event-id': CURSOR.exec(text)![1]! }, signal: resumed.signal });
    const replayed = await readEvents(again.body!, (all) => all.length > 0);
    resumed.abort();
    expect(replayed[0]!.data).toMatchObject({ id: taskId });
  });

  it.skipIf(TEST_DATABASE !== 'postgres')('delivers a change made by another instance (LISTEN/NOTIFY across connections)', async () => {
    const user = await t.signUp();
    const controller = new AbortController();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth, signal: controller.signal });
    const taskId = await createTask(t, findProduct('kling-t2v-5s')!, user);
    t.clock.advance(6_000);
    const otherInstance: Deps = { ...t.deps, db: t.testDb.openAnother() };
    await runSyncOnce(otherInstance);
    const events = await readEvents(res.body!, (all) => all.some((e) => (e.data as { status: string }).status === 'completed'));
    controller.abort();
    expect(events.at(-1)!.data).toMatchObject({ id: taskId, status: 'completed' });
  });
});

/** Reads a stream's raw text until `until` holds or the stream ends; resolves the text and whether it ended. */
async function readText(body: ReadableStream<Uint8Array>, until: (text: string) => boolean): Promise<{ text: string; ended: boolean }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) return { text, ended: true };
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return { text, ended: false };
}

const CURSOR = /^id: (\d+:\d+:[\d,]*)$/m;

describe('GET /api/user/events: what a stream that breaks early, or falls behind, still delivers', () => {
  /** Reads of one creation (the stream's reads of a changed task) fail while `failing`, or wait while `gate` is set. */
  const reads = { failing: 0, gate: undefined as Promise<void> | undefined };
  let testDb: TestDb;
  let r: TestApp;
  let base: string;

  beforeAll(async () => {
    testDb = await createTestDb();
    const db = testDb.db;
    const faulty: Db = Object.assign(Object.create(db) as Db, {
      async queryInTransaction(sql: string, params: readonly unknown[], options: Parameters<Db['queryInTransaction']>[2]) {
        if (sql.includes('where d.id = $1 and d.user_id = $2')) {
          if (reads.failing > 0) {
            reads.failing -= 1;
            throw errors.databaseUnavailable(new Error('Connection terminated unexpectedly'));
          }
          await reads.gate;
        }
        return db.queryInTransaction(sql, params, options);
      },
    });
    r = await createTestApp({ testDb: { ...testDb, db: faulty } });
    await r.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(r.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await r?.close();
    await testDb?.drop();
  });

  it('gives its cursor before any task event, so a client that loses it early still resumes from it', async () => {
    const user = await r.signUp();
    const first = new AbortController();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth, signal: first.signal });
    const { text } = await readText(res.body!, (all) => CURSOR.test(all));
    first.abort();
    expect(text).not.toContain('event:');

    // While no stream is open, a task is made: the resumed stream sends it.
    const taskId = await createTask(r, findProduct('ai302-t2v-5s')!, user);
    const resumed = new AbortController();
    const again = await fetch(`${base}/api/user/events`, { headers: { ...user.auth, 'last-event-id': CURSOR.exec(text)![1]! }, signal: resumed.signal });
    const replayed = await readEvents(again.body!, (all) => all.length > 0);
    resumed.abort();
    expect(replayed[0]!.data).toMatchObject({ id: taskId });
  });

  it('ends when it cannot read a change, and the client resuming with Last-Event-ID gets that change', async () => {
    const user = await r.signUp();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth });
    const { text } = await readText(res.body!, (all) => CURSOR.test(all));
    reads.failing = 1;
    const taskId = await createTask(r, findProduct('ai302-t2v-5s')!, user);
    const rest = await readText(res.body!, () => false);
    expect(rest).toEqual({ text: expect.not.stringContaining('event: task'), ended: true });

    const resumed = new AbortController();
    const again = await fetch(`${base}/api/user/events`, { headers: { ...user.auth, 'last-event-id': CURSOR.exec(text)![1]! }, signal: resumed.signal });
    const replayed = await readEvents(again.body!, (all) => all.length > 0);
    resumed.abort();
    expect(replayed[0]!.data).toMatchObject({ id: taskId, status: 'pending' });
  });

  it('sends a task that changed again while waiting its turn once, in its latest state', async () => {
    const user = await r.signUp();
    const controller = new AbortController();
    const res = await fetch(`${base}/api/user/events`, { headers: user.auth, signal: controller.signal });
    await readText(res.body!, (all) => CURSOR.test(all));
    let open!: () => void;
    reads.gate = new Promise<void>((resolve) => (open = resolve));
    const announced: number[] = [];
    const unlisten = await r.deps.db.listen(TASK_CHANGES_CHANNEL, (payload) => announced.push(Number((JSON.parse(payload) as { taskId: number }).taskId)));
    try {
      // Created, touched twice, then completed: each change announced while the first read waits.
      const taskId = await createTask(r, findProduct('ai302-t2v-5s')!, user);
      for (let i = 0; i < 2; i++) await r.deps.db.query('update video_generation_task_statuses set error_message = error_message where task_id = $1', [taskId]);
      r.clock.advance(6_000);
      await runSyncOnce(r.deps);
      await vi.waitFor(() => expect(announced.filter((id) => id === taskId).length).toBeGreaterThanOrEqual(4), { timeout: 10_000, interval: 50 });
      reads.gate = undefined;
      open();
      const events = await readEvents(res.body!, (all) => all.some((e) => (e.data as { status: string }).status === 'completed'));
      controller.abort();
      // The read that waited, then one for all the changes announced meanwhile.
      expect(events.length).toBeLessThanOrEqual(2);
      expect(events.at(-1)!.data).toMatchObject({ id: taskId, status: 'completed' });
    } finally {
      await unlisten();
    }
  });
});

describe('GET /api/user/events on a quiet stream', () => {
  it('sends a heartbeat comment every SSE_HEARTBEAT_MS, so proxies keep an idle stream open', async () => {
    const quiet = await createTestApp({ env: { SSE_HEARTBEAT_MS: '200' } });
    try {
      await quiet.app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(quiet.app.server.address() as AddressInfo).port}/api/user/events`;
      const user = await quiet.signUp();
      const controller = new AbortController();
      const res = await fetch(url, { headers: user.auth, signal: controller.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while ((text.match(/^: heartbeat$/gm) ?? []).length < 2) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      controller.abort();
      expect(text.startsWith(': connected\n\n')).toBe(true);
      expect(text.match(/^: heartbeat$/gm)).toHaveLength(2);
      expect(text).not.toContain('event:');
    } finally {
      await quiet.close();
    }
  });
});

describe('GET /api/user/events after sign-out', () => {
  it('ends the stream by the next heartbeat once its session has ended', async () => {
    const quiet = await createTestApp({ env: { SSE_HEARTBEAT_MS: '200' } });
    try {
      await quiet.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(quiet.app.server.address() as AddressInfo).port}`;
      const user = await quiet.signUp();
      const res = await fetch(`${base}/api/user/events`, { headers: user.auth });
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value).startsWith(': connected\n\n')).toBe(true);
      const logout = await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: user.auth });
      expect(logout.status).toBeLessThan(300);
      let ended = false;
      while (!ended) ended = (await reader.read()).done;
      expect(ended).toBe(true);
      expect((await fetch(`${base}/api/user/events`, { headers: user.auth })).status).toBe(401);
    } finally {
      await quiet.close();
    }
  });
});

describe('GET /api/user/events without LISTEN (a transaction pooler and no listen URL): polling', () => {
  let testDb: TestDb;
  let polled: Db;
  let p: TestApp;
  let url: string;

  beforeAll(async () => {
    testDb = await createTestDb();
    // PostgreSQL: the pooled URL alone, as DATABASE_POOL_MODE=transaction without DATABASE_LISTEN_URL opens it.
    polled = testDb.url ? createPostgresDb(testDb.url, { poolSize: 5, poolMode: 'transaction' }) : { ...testDb.db, canListen: false };
    p = await createTestApp({ testDb: { ...testDb, db: polled }, env: { EVENTS_POLL_MS: '100' } });
    await p.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(p.app.server.address() as AddressInfo).port}/api/user/events`;
  });
  afterAll(async () => {
    await p?.close();
    if (testDb?.url) await polled.close();
    await testDb?.drop();
  });

  it("streams the user's own task changes, not other users'", async () => {
    expect(polled.canListen).toBe(false);
    const user = await p.signUp();
    const other = await p.signUp();
    const controller = new AbortController();
    const res = await fetch(url, { headers: user.auth, signal: controller.signal });
    expect(res.status).toBe(200);
    await createTask(p, findProduct('ai302-t2v-5s')!, other);
    const taskId = await createTask(p, findProduct('ai302-t2v-5s')!, user);
    p.clock.advance(6_000);
    await runSyncOnce(p.deps);

    const events = await readEvents(res.body!, (all) => all.some((e) => (e.data as { status: string }).status === 'completed'));
    controller.abort();
    expect(events.every((e) => e.event === 'task' && (e.data as { id: number }).id === taskId)).toBe(true);
    expect(events.at(-1)!.data).toMatchObject({ id: taskId, user_id: user.id, status: 'completed' });
  });

  it.skipIf(TEST_DATABASE !== 'postgres')('reports a change committed after a later one, and each change once', async () => {
    const user = await p.signUp();
    const product = findProduct('ai302-t2v-5s')!;
    const [early, late, last] = [await createTask(p, product, user), await createTask(p, product, user), await createTask(p, product, user)];
    const seen: number[] = [];
    const stop = await pollTaskChanges(polled, 100, (change: TaskChange) => seen.push(change.taskId), pino({ level: 'silent' }));
    const touch = (q: Pick<Db, 'query'>, taskId: number) =>
      q.query('update video_generation_task_statuses set error_message = error_message where task_id = $1', [taskId]);
    try {
      let commit!: () => void;
      const held = new Promise<void>((resolve) => (commit = resolve));
      // `early` changes first but commits last: a watermark on updated_at (the transaction's start) would skip it.
      let touched!: () => void;
      const earlyTouched = new Promise<void>((resolve) => (touched = resolve));
      const earlyTx = polled.transaction(async (tx) => {
        await touch(tx, early);
        touched();
        await held;
      });
      await earlyTouched;
      await touch(polled, late);
      await vi.waitFor(() => expect(seen).toEqual([late]), { timeout: 10_000, interval: 50 });
      commit();
      await earlyTx;
      await vi.waitFor(() => expect(seen).toEqual([late, early]), { timeout: 10_000, interval: 50 });
      await touch(polled, last);
      await vi.waitFor(() => expect(seen).toEqual([late, early, last]), { timeout: 10_000, interval: 50 });
    } finally {
      await stop();
    }
  });
});
