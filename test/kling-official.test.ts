import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, findProduct, type Product } from '../src/domain/catalog.js';
import { createGenerationTask, type GenerationDeps } from '../src/domain/generation/create-task.js';
import type { GenerationInput } from '../src/domain/generation/request.js';
import { inspectImage } from '../src/domain/image.js';
import { generationDeps } from '../src/http/routes/generation/generation-deps.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import type { VideoProvider } from '../src/providers/video-provider.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { jpegOf, pngOf } from './helpers/images.js';
import { balanceOf, ledgerRows, statusOf } from './helpers/lifecycle.js';
import { multipart } from './helpers/multipart.js';

/** Kling's official API: our id at Kling, looking a task up by it, camera control and end frames by model. */

const GRACE_MS = 61_000;
const UUID_ID = /^sv-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '1000' } });
  user = await t.signUp();
});
afterAll(() => t?.close());

const posts = () => t.simulator.requests.filter((r) => r.method === 'POST');
const lastPostBody = () => posts().at(-1)?.body as Record<string, unknown> | undefined;
const taskOf = async (taskId: number) => (await t.app.inject({ method: 'GET', url: `/api/user/tasks/${taskId}`, headers: user.auth })).json();

function textToVideo(path: string, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: path, headers: user.auth, payload: { prompt: 'A red fox in snow', ...payload } });
}

function imageToVideo(path: string, files: Parameters<typeof multipart>[1]) {
  const form = multipart({ prompt: 'The fox turns its head', cfg: '0.5' }, files);
  return t.app.inject({ method: 'POST', url: path, headers: { ...user.auth, ...form.headers }, payload: form.body });
}

const png = { filename: 'first.png', contentType: 'image/png', data: pngOf(640, 360) };
const endJpeg = { filename: 'last.jpg', contentType: 'image/jpeg', data: jpegOf(640, 360) };

/** The process dies after charging the task and before recording the provider's answer (if any). */
async function createOrphan(product: Product, input: Partial<GenerationInput>, submit: VideoProvider['submit']): Promise<number> {
  const dying = (real: VideoProvider): VideoProvider => ({ ...real, submit });
  const deps: GenerationDeps = {
    ...generationDeps(t.deps, t.deps.logger),
    providers: { ai302: dying(t.deps.providers.ai302!), kling: dying(t.deps.providers.kling!) },
  };
  const image = pngOf(640, 360);
  const full: GenerationInput = {
    prompt: 'A lighthouse at dusk', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9',
    ...(product.kind === 'i2v' ? { image: { bytes: image, info: inspectImage(image)! } } : {}),
    ...input,
  };
  await expect(createGenerationTask(deps, user, product, full)).rejects.toThrow('process killed');
  const { rows } = await t.deps.db.query<{ id: number }>('select max(id) as id from video_generation_task_definitions');
  const taskId = Number(rows[0]!.id);
  // The grace period was computed on the database's clock; put it on the test clock's time line.
  await t.deps.db.query(`update video_generation_task_statuses set next_attempt_at = $1 where task_id = $2`, [new Date(t.clock.now().getTime() + 60_000), taskId]);
  return taskId;
}

const diesBeforeCalling: VideoProvider['submit'] = () => Promise.reject(new Error('process killed'));

async function syncFor(taskId: number) {
  return (await runSyncOnce(t.deps)).filter((r) => r.taskId === taskId);
}

describe('our id at Kling (external_task_id)', () => {
  it('is random per task, kept with the task, and sent as external_task_id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await textToVideo('/api/kling-official/5s', {});
      expect(res.statusCode, res.body).toBe(200);
      const { client_task_id: clientTaskId } = await statusOf(t.deps.db, res.json().taskId);
      expect(clientTaskId).toMatch(UUID_ID);
      expect(lastPostBody()).toMatchObject({ external_task_id: clientTaskId });
      ids.push(clientTaskId);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('does not repeat the sv-<task id> that another database on the same Kling account sent', async () => {
    // Staging, or this database before a reset, created a task under the id our next task would have had.
    const { rows } = await t.deps.db.query<{ last_value: number | string; is_called: boolean }>('select last_value, is_called from video_generation_task_definitions_id_seq');
    const next = Number(rows[0]!.last_value) + (rows[0]!.is_called ? 1 : 0);
    await t.deps.providers.kling!.submit({
      kind: 't2v', durationSeconds: 5, highQuality: false, model: 'kling-v1-6', prompt: 'elsewhere', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9', clientTaskId: `sv-${next}`,
    });
    const res = await textToVideo('/api/kling-official/5s', {});
    expect(res.statusCode, res.body).toBe(200);
    expect((await statusOf(t.deps.db, res.json().taskId)).status).toBe('pending');
  });

  it('a task from before migration 0016 keeps sv-<task id>, and a lost reply is still found by it', async () => {
    const product = findProduct('kling-t2v-5s')!;
    const taskId = await createOrphan(product, {}, diesBeforeCalling);
    // What 0016 left on rows it found: the id they had been sent with.
    await t.deps.db.query(`update video_generation_task_statuses set client_task_id = 'sv-' || task_id where task_id = $1`, [taskId]);
    const created = await t.deps.providers.kling!.submit({
      kind: 't2v', durationSeconds: 5, highQuality: false, model: product.model, prompt: 'p', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9', clientTaskId: `sv-${taskId}`,
    });
    const before = posts().length;
    t.clock.advance(GRACE_MS);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, success: true, newStatus: 'pending' }]);
    expect((await statusOf(t.deps.db, taskId)).external_task_id).toBe(created.externalTaskId);
    expect(posts()).toHaveLength(before);
  });
});

describe('a create whose reply was lost, and whose process then died', () => {
  it('is found at Kling by external_task_id, asked as a query parameter, and not submitted again', async () => {
    t.simulator.faults.set({ hangMs: 1_000 });
    t.simulator.faults.enqueue('hang');
    // Kling creates the task; its reply is held past our deadline; the process dies before it records anything.
    const replyLost: VideoProvider['submit'] = async (request) => {
      await t.deps.providers.kling!.submit(request, AbortSignal.timeout(200)).catch(() => undefined);
      throw new Error('process killed');
    };
    const taskId = await createOrphan(findProduct('kling-t2v-5s')!, {}, replyLost);
    const { client_task_id: clientTaskId } = await statusOf(t.deps.db, taskId);
    const atKling = [...t.simulator.tasks.values()].find((task) => task.externalTaskId === clientTaskId);
    expect(atKling).toBeDefined();

    const requestsBefore = t.simulator.requests.length;
    t.clock.advance(GRACE_MS);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, success: true, newStatus: 'pending' }]);
    expect((await statusOf(t.deps.db, taskId)).external_task_id).toBe(atKling!.id);
    const asked = t.simulator.requests.slice(requestsBefore).map((r) => `${r.method} ${r.path}`);
    expect(asked).toContain('GET /v1/videos/text2video');
    expect(asked).not.toContain(`GET /v1/videos/text2video/${clientTaskId}`);
    expect(asked.filter((r) => r.startsWith('POST'))).toEqual([]);

    t.clock.advance(6_000);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, newStatus: 'completed' }]);
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual([]);
  });
});

describe('camera control', () => {
  it.each([
    [{ camera_type: 'simple', camera_value: -3 }, { type: 'simple', config: { horizontal: -3, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: 0 } }],
    [{ camera_type: 'down_back' }, { type: 'down_back' }],
  ])('/api/kling-official/5s sends %j to kling-v1, which takes camera control at std 5 s', async (camera, expected) => {
    const res = await textToVideo('/api/kling-official/5s', camera);
    expect(res.statusCode, res.body).toBe(200);
    expect(lastPostBody()).toMatchObject({ model_name: 'kling-v1', mode: 'std', duration: '5', camera_control: expected });
  });

  it.each(CATALOG.filter((p) => p.kind === 't2v' && p.path !== '/api/kling-official/5s').map((p) => [p.path]))(
    '%s refuses camera fields with 400, charging nothing',
    async (path) => {
      const balance = await balanceOf(t.deps.db, user.id);
      const res = await textToVideo(path, { camera_type: 'simple', camera_value: 2 });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_error', error: expect.stringMatching(/^camera_type is available on \/api\/kling-official\/5s only/) });
      expect(await balanceOf(t.deps.db, user.id)).toBe(balance);
    },
  );

  it.each([[{ camera_type: 'simple' }], [{ camera_type: 'simple', camera_value: 0 }]])('refuses %j: a simple move needs a non-zero camera_value', async (camera) => {
    const sent = posts().length;
    const res = await textToVideo('/api/kling-official/5s', camera);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_error', error: expect.stringMatching(/camera_value: camera_type simple needs a non-zero camera_value/) });
    expect(posts()).toHaveLength(sent);
  });

  it('a camera task resubmitted after its process died goes to kling-v1 again', async () => {
    const taskId = await createOrphan(findProduct('kling-t2v-5s')!, { camera: { type: 'simple', value: 4 } }, diesBeforeCalling);
    t.clock.advance(GRACE_MS);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, success: true }]);
    expect(lastPostBody()).toMatchObject({ model_name: 'kling-v1', camera_control: { type: 'simple', config: { horizontal: 4 } } });
  });
});

describe('an end frame (end_image)', () => {
  it('is taken on Kling’s pro image-to-video routes: stored, sent as image_tail, shown, never served', async () => {
    const res = await imageToVideo('/api/kling-official/i2v/hq/5s', { input_image: png, end_image: endJpeg });
    expect(res.statusCode, res.body).toBe(200);
    expect(lastPostBody()).toMatchObject({ model_name: 'kling-v1-6', mode: 'pro', image: png.data.toString('base64'), image_tail: endJpeg.data.toString('base64') });
    const task = await taskOf(res.json().taskId);
    expect(task.end_img_path).toMatch(/^uploads\/[0-9a-f-]{36}\.jpg$/);
    expect(task.end_img_path).not.toBe(task.start_img_path);
    expect(await t.deps.storage.exists(task.end_img_path)).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: `/media/${task.end_img_path}` })).statusCode).toBe(404);
    const creations = (await t.app.inject({ method: 'GET', url: '/api/user/fetch-creation', headers: user.auth })).json().creations;
    expect(creations.find((c: { id: number }) => c.id === task.id)).toMatchObject({ end_img_path: task.end_img_path });
  });

  it.each([['/api/kling/i2v/hq/5s'], ['/api/kling-official/i2v/5s'], ['/api/kling-official/i2v/10s']])(
    '%s refuses it with 400, storing and charging nothing',
    async (path) => {
      const balance = await balanceOf(t.deps.db, user.id);
      const res = await imageToVideo(path, { input_image: png, end_image: endJpeg });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'validation_error', error: expect.stringMatching(/^end_image is available on \/api\/kling-official\/i2v\/hq\/5s, \/api\/kling-official\/i2v\/hq\/10s only/) });
      expect(await balanceOf(t.deps.db, user.id)).toBe(balance);
    },
  );

  it('is held to the image rules', async () => {
    const res = await imageToVideo('/api/kling-official/i2v/hq/10s', { input_image: png, end_image: { ...endJpeg, data: jpegOf(200, 400) } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_error', error: expect.stringMatching(/^end_image must be at least 300 px/) });
  });

  it('is read back from storage when a task whose process died is resubmitted', async () => {
    const end = pngOf(360, 640);
    const taskId = await createOrphan(findProduct('kling-i2v-hq-10s')!, { endImage: { bytes: end, info: inspectImage(end)! } }, diesBeforeCalling);
    t.clock.advance(GRACE_MS);
    expect(await syncFor(taskId)).toMatchObject([{ taskId, success: true }]);
    expect(lastPostBody()).toMatchObject({ mode: 'pro', duration: '10', image_tail: end.toString('base64') });
  });

  it('leaves storage with its task when the owner deletes it', async () => {
    const res = await imageToVideo('/api/kling-official/i2v/hq/5s', { input_image: png, end_image: endJpeg });
    const taskId: number = res.json().taskId;
    const { start_img_path: start, end_img_path: end } = await taskOf(taskId);
    expect(await t.deps.storage.exists(end)).toBe(true);
    await t.deps.db.query(`update video_generation_task_statuses set status = 'failed', finished_at = now() where task_id = $1`, [taskId]);
    await t.deps.db.transaction(async (tx) => {
      await tx.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: user.id, role: 'authenticated' })]);
      expect((await tx.query('delete from video_generation_task_definitions where id = $1', [taskId])).rowCount).toBe(1);
    });
    // Queued on the database's clock: move the entry back past an archive lease.
    await t.deps.db.query(`update deleted_task_files set deleted_at = deleted_at - make_interval(secs => $2) where task_id = $1`, [taskId, t.deps.config.LEASE_MS / 1000 + 1]);
    await runArchiveOnce(t.deps);
    expect(await t.deps.storage.exists(start)).toBe(false);
    expect(await t.deps.storage.exists(end)).toBe(false);
  });
});
