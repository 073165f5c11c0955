import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct } from '../src/domain/catalog.js';
import { runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { TEST_DATABASE } from './helpers/db.js';
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
async function readEvents(body: ReadableStream<Uint8Array>, until: (events: Array<{ event: string; data: unknown }>) => boolean) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ event: string; data: unknown }> = [];
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
      if (event && data) events.push({ event, data: JSON.parse(data) });
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
