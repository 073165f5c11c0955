import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProviders } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { findProduct, type Product } from '../src/domain/catalog.js';
import { createGenerationTask } from '../src/domain/generation/create-task.js';
import { inspectImage } from '../src/domain/image.js';
import { OPERATOR_PROBLEM_REASON } from '../src/domain/provider-failure.js';
import { generationDeps } from '../src/http/routes/generation/generation-deps.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import type { VideoProvider } from '../src/providers/video-provider.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { pngOf } from './helpers/images.js';
import { balanceOf, createTask, fileKeysOf, generate, ledgerRows, statusOf } from './helpers/lifecycle.js';

const CREDITS = 100;
const FIRST_POLL_MS = 5_000;
const GRACE_MS = 61_000;

let t: TestApp;
beforeAll(async () => {
  // Alternating: consecutive 302 tasks get one id of each form.
  t = await createTestApp({ env: { SIGNUP_CREDITS: String(CREDITS) }, simulator: { ai302TaskIds: 'alternating' } });
});
afterAll(async () => t?.close());

/** Log lines as pino writes them, to see what reached the operator and at which level. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; kind?: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** This pass's results for one task (the file's other tasks may be due too). */
async function syncFor(taskId: number) {
  return (await runSyncOnce(t.deps)).filter((r) => r.taskId === taskId);
}

describe('302.ai task ids of both forms', () => {
  it('digits and kling_<hex> alike are created, synced to completed and archived', async () => {
    const user = await t.signUp();
    const products = [findProduct('ai302-t2v-5s')!, findProduct('ai302-i2v-5s')!];
    const ids: number[] = [];
    for (const product of products) ids.push(await createTask(t, product, user));
    const externalIds = await Promise.all(ids.map(async (id) => (await statusOf(t.deps.db, id)).external_task_id));
    expect(externalIds.filter((id) => /^3\d+$/.test(id ?? ''))).toHaveLength(1);
    expect(externalIds.filter((id) => /^kling_[0-9a-f]{12}$/.test(id ?? ''))).toHaveLength(1);

    t.clock.advance(FIRST_POLL_MS + 1);
    const synced = (await runSyncOnce(t.deps)).filter((r) => ids.includes(r.taskId));
    expect(synced).toHaveLength(2);
    for (const result of synced) expect(result).toMatchObject({ success: true, newStatus: 'completed' });
    const archived = (await runArchiveOnce(t.deps)).filter((r) => ids.includes(r.taskId));
    expect(archived).toHaveLength(2);
    for (const result of archived) expect(result).toMatchObject({ success: true, r2VideoUrl: expect.stringMatching(/^\/media\/videos\//) });

    for (const [i, id] of ids.entries()) {
      const row = await statusOf(t.deps.db, id);
      expect(row).toMatchObject({ status: 'completed', r2_status: 'completed', refunded: false });
      expect(row.provider_result_url).toBe(`${t.simulator.url}/files/${externalIds[i]}.mp4`);
      const keys = (await fileKeysOf(t.deps.db, id))!;
      const video = await readFile(path.join(t.mediaRoot, keys.video));
      expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
    }
    // The fetches asked for each id as it was issued.
    const fetched = t.simulator.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    for (const externalId of externalIds) expect(fetched).toContain(`/klingai/task/${externalId}/fetch`);
  });
});

describe('AI302_GEO', () => {
  it('reaches the status fetch of the 302.ai adapter the service builds', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: t.dataDir, AI302_API_KEY: 'sim-302-key', AI302_BASE_URL: t.simulator.url, AI302_GEO: 'cn' });
    const { providers, simulator } = await createProviders(config, pino({ level: 'silent' }));
    try {
      const { externalTaskId } = await providers.ai302!.submit({
        kind: 't2v', durationSeconds: 5, highQuality: false, model: 'm2v_16_txt2video_5s', prompt: 'A fox', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9', clientTaskId: 'sv-geo',
      });
      await providers.ai302!.fetchStatus({ kind: 't2v', externalTaskId });
      expect(t.simulator.requests.at(-1)).toMatchObject({ path: `/klingai/task/${externalTaskId}/fetch`, query: { geo: 'cn' } });
    } finally {
      await simulator?.close();
    }
  });
});

describe('302.ai refusing a task for good', () => {
  it('an empty balance at 302 fails the task at once with a refund, blaming nothing of the user’s', async () => {
    const user = await t.signUp();
    const product = findProduct('ai302-t2v-5s')!;
    t.simulator.faults.enqueue('noBalance');
    const res = await generate(t, product, user);
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'provider_error', error: OPERATOR_PROBLEM_REASON, details: { refunded: true } });
    const taskId: number = res.json().details.taskId;
    const row = await statusOf(t.deps.db, taskId);
    expect(row).toMatchObject({ status: 'failed', refunded: true, error_message: OPERATOR_PROBLEM_REASON, external_task_id: null });
    expect(row.error_message).not.toMatch(/balance|302/i);
    expect(await balanceOf(t.deps.db, user.id)).toBe(CREDITS);
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual([product.credits]);
  });

  it('is logged at error level for the operator, with 302’s own message; a passing refusal only warns', async () => {
    const user = await t.signUp();
    const { logger, lines } = capturingLogger();
    const deps = generationDeps(t.deps, logger);
    t.simulator.faults.enqueue('noBalance', 'noCapacity');
    const refused = await createGenerationTask(deps, user, findProduct('ai302-t2v-5s')!, textInput());
    const unavailable = await createGenerationTask(deps, user, findProduct('ai302-t2v-5s')!, textInput());
    expect(refused).toMatchObject({ status: 'failed', refunded: true, errorMessage: OPERATOR_PROBLEM_REASON });
    expect(unavailable).toMatchObject({ status: 'failed', refunded: true, errorMessage: 'Provider unavailable: No available models' });
    const refusals = lines.filter((l) => l.msg === 'provider refused task; refunding');
    expect(refusals.map((l) => [l.level, l.kind])).toEqual([
      [50, 'account'],
      [40, 'transient'],
    ]);
    expect(JSON.stringify(refusals[0])).toContain('Insufficient account balance');
  });

  it('a task whose creating request died is failed with a refund on the first refusal, not resubmitted', async () => {
    const product = findProduct('ai302-i2v-5s')!;
    const user = await t.signUp();
    const taskId = await createOrphan(product, user);
    t.clock.advance(GRACE_MS);
    // No model available: passing, so the task waits for the next pass.
    t.simulator.faults.enqueue('noCapacity');
    expect(await syncFor(taskId)).toMatchObject([{ success: false, newStatus: 'pending', error: 'No available models' }]);
    t.clock.advance(3600_000);
    t.simulator.faults.enqueue('noBalance');
    expect(await syncFor(taskId)).toMatchObject([{ success: true, newStatus: 'failed', error: OPERATOR_PROBLEM_REASON }]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'failed', refunded: true, error_message: OPERATOR_PROBLEM_REASON });
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual([product.credits]);
    t.clock.advance(3600_000);
    expect(await syncFor(taskId)).toEqual([]);
  });
});

function textInput() {
  return { prompt: 'A lighthouse at dusk', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9' as const };
}

/** A task charged and recorded whose process "died" before the provider call: pending, no external id. */
async function createOrphan(product: Product, user: TestUser): Promise<number> {
  const dying: VideoProvider = { ...t.deps.providers.ai302!, submit: () => Promise.reject(new Error('process killed')) };
  const deps = { ...generationDeps(t.deps, t.deps.logger), providers: { ai302: dying } };
  const png = pngOf(640, 360);
  const input = { ...textInput(), ...(product.kind === 'i2v' ? { image: { bytes: png, info: inspectImage(png)! } } : {}) };
  await expect(createGenerationTask(deps, user, product, input)).rejects.toThrow('process killed');
  const { rows } = await t.deps.db.query<{ id: number }>('select max(id) as id from video_generation_task_definitions');
  const taskId = Number(rows[0]!.id);
  // The grace period was computed on the database's clock; put it on the test clock's time line.
  await t.deps.db.query(`update video_generation_task_statuses set next_attempt_at = $1 where task_id = $2`, [new Date(t.clock.now().getTime() + 60_000), taskId]);
  return taskId;
}
