import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProduct, type Product } from '../src/domain/catalog.js';
import { createGenerationTask, type GenerationDeps } from '../src/domain/generation/create-task.js';
import { submitGraceMs } from '../src/domain/generation/submit.js';
import { inspectImage } from '../src/domain/image.js';
import { runSyncOnce } from '../src/jobs/passes.js';
import { ProviderError, type VideoProvider } from '../src/providers/video-provider.js';
import { generationDeps } from '../src/http/routes/generation/generation-deps.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { pngOf } from './helpers/images.js';
import { balanceOf, ledgerRows, statusOf } from './helpers/lifecycle.js';

const GRACE_MS = 61_000;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '100' } });
});
afterAll(async () => t?.close());

/** The process "dies" between charging the task and calling the provider: the call never returns an answer. */
function dyingProvider(real: VideoProvider): VideoProvider {
  return { ...real, submit: () => Promise.reject(new Error('process killed')) };
}

async function createOrphan(product: Product, user: TestUser): Promise<number> {
  const deps: GenerationDeps = {
    ...generationDeps(t.deps, t.deps.logger),
    providers: { ai302: dyingProvider(t.deps.providers.ai302!), kling: dyingProvider(t.deps.providers.kling!) },
    firstPollDelayMs: 5_000,
  };
  const png = pngOf(640, 360);
  const input = { prompt: 'A lighthouse at dusk', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9' as const, ...(product.kind === 'i2v' ? { image: { bytes: png, info: inspectImage(png)! } } : {}) };
  await expect(createGenerationTask(deps, user, product, input)).rejects.toThrow('process killed');
  const { rows } = await t.deps.db.query<{ id: number }>('select max(id) as id from video_generation_task_definitions');
  const taskId = Number(rows[0]!.id);
  // The grace period was computed on the database's clock; put it on the test clock's time line.
  await t.deps.db.query(`update video_generation_task_statuses set next_attempt_at = $1 where task_id = $2`, [new Date(t.clock.now().getTime() + 60_000), taskId]);
  return taskId;
}

/** This pass's results for one task (other tests' tasks may be due too). */
async function syncFor(taskId: number) {
  return (await runSyncOnce(t.deps)).filter((r) => r.taskId === taskId);
}

describe('a task left pending without an external id', () => {
  it.each(['ai302-t2v-5s', 'ai302-i2v-5s', 'kling-t2v-5s', 'kling-i2v-hq-10s'])('%s is submitted by the sync pass and then followed to the end', async (productId) => {
    const product = findProduct(productId)!;
    const user = await t.signUp();
    const taskId = await createOrphan(product, user);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'pending', external_task_id: null });

    // Within the grace period the creating request still owns it.
    expect(await syncFor(taskId)).toEqual([]);
    t.clock.advance(GRACE_MS);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, success: true, newStatus: 'pending' }]);
    const row = await statusOf(t.deps.db, taskId);
    expect(row.external_task_id).toMatch(/^\d+$/);
    const sent = t.simulator.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(JSON.stringify(sent.body)).toContain('A lighthouse at dusk');

    t.clock.advance(6_000);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, newStatus: 'completed' }]);
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual([]);
  });

  it('finds a Kling task whose submission did reach the provider, instead of submitting it twice', async () => {
    const product = findProduct('kling-t2v-5s')!;
    const user = await t.signUp();
    const taskId = await createOrphan(product, user);
    // The provider did get the request (the reply was lost): it knows the task by our id.
    const { client_task_id: clientTaskId } = await statusOf(t.deps.db, taskId);
    const created = await t.deps.providers.kling!.submit({
      kind: 't2v', durationSeconds: 5, highQuality: false, model: product.model, prompt: 'p', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9', clientTaskId,
    });
    const posts = t.simulator.requests.filter((r) => r.method === 'POST').length;
    t.clock.advance(GRACE_MS);
    await runSyncOnce(t.deps);
    expect((await statusOf(t.deps.db, taskId)).external_task_id).toBe(created.externalTaskId);
    expect(t.simulator.requests.filter((r) => r.method === 'POST').length).toBe(posts);
  });

  it('is failed and refunded when its start image is gone from storage', async () => {
    const product = findProduct('ai302-i2v-5s')!;
    const user = await t.signUp();
    const taskId = await createOrphan(product, user);
    const { rows } = await t.deps.db.query<{ start_img_path: string }>('select start_img_path from video_generation_task_definitions where id = $1', [taskId]);
    await t.deps.storage.delete(rows[0]!.start_img_path);
    t.clock.advance(GRACE_MS);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, newStatus: 'failed' }]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'failed', refunded: true, error_message: expect.stringMatching(/start image is no longer in storage/) });
    expect(await balanceOf(t.deps.db, user.id)).toBe(100);
  });

  it('is failed and refunded after repeated transient submission failures', async () => {
    const product = findProduct('ai302-t2v-10s')!;
    const user = await t.signUp();
    const taskId = await createOrphan(product, user);
    t.clock.advance(GRACE_MS);
    for (let i = 0; i < 5; i++) {
      t.simulator.faults.enqueue('status500');
      await runSyncOnce(t.deps);
      t.clock.advance(3600_000);
    }
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'failed', refunded: true, error_message: expect.stringMatching(/did not accept/) });
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual([product.credits]);
  });
});

describe('the creating request’s own provider call', () => {
  it('is given up at its deadline, inside the grace the sync pass leaves it, and the task refunded', async () => {
    const product = findProduct('kling-t2v-5s')!;
    const user = await t.signUp();
    let given: AbortSignal | undefined;
    // A provider that never answers: only the request's deadline ends the call (as the adapters' fetch would).
    const hanging: VideoProvider = {
      ...t.deps.providers.kling!,
      submit: (_request, signal) => {
        given = signal;
        return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new ProviderError('transient', 'No reply in time'))));
      },
    };
    const deps: GenerationDeps = { ...generationDeps(t.deps, t.deps.logger), providers: { ...t.deps.providers, kling: hanging }, submitDeadlineMs: 300 };
    expect(submitGraceMs(deps)).toBeGreaterThan(deps.submitDeadlineMs);

    const task = await createGenerationTask(deps, user, product, { prompt: 'Never answered', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9' });
    expect(given?.aborted).toBe(true);
    expect(task).toMatchObject({ status: 'failed', refunded: true, errorMessage: expect.stringMatching(/No reply in time/) });
    expect(await balanceOf(t.deps.db, user.id)).toBe(100);
  });
});
