import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct } from '../src/domain/catalog.js';
import { runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTask, statusOf } from './helpers/lifecycle.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { PROVIDER_CONCURRENCY: '3', SIGNUP_CREDITS: '100' } });
});
afterAll(async () => t?.close());

describe('PROVIDER_CONCURRENCY', () => {
  it('bounds the status calls in flight to each provider during a sync pass, and reaches the bound', async () => {
    const user = await t.signUp();
    const ids: number[] = [];
    for (const productId of ['ai302-t2v-5s', 'kling-t2v-5s']) {
      for (let i = 0; i < 6; i++) ids.push(await createTask(t, findProduct(productId)!, user));
    }
    expect(t.simulator.peakConcurrentRequests()).toBe(1);
    t.clock.advance(6_000);
    // Every status reply is held for a moment, so the pass has as many calls open as it allows.
    t.simulator.faults.set({ hangRate: 1, hangMs: 150 });
    await runSyncOnce(t.deps);
    t.simulator.faults.clear();
    // 3 to 302.ai and 3 to Kling at once; never more.
    expect(t.simulator.peakConcurrentRequests()).toBe(6);
    for (const id of ids) expect((await statusOf(t.deps.db, id)).status).toBe('completed');
  });
});
