import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAi302Provider } from './ai302.js';
import { startSimulator, type Simulator } from './simulator/index.js';
import { ProviderError, type SubmitRequest } from './video-provider.js';

const KEY = 'test-302-key';
const DELAY_MS = 30_000;
const jpeg = readFileSync(new URL('./simulator/assets/thumbnail.jpg', import.meta.url));

const t2v: SubmitRequest = {
  kind: 't2v',
  durationSeconds: 5,
  highQuality: false,
  model: 'm2v_16_txt2video_5s',
  prompt: 'A red fox in snow',
  negativePrompt: 'blurry',
  cfg: 0.5,
  aspectRatio: '16:9',
  clientTaskId: 'sv-1',
};
const i2v: SubmitRequest = { ...t2v, kind: 'i2v', model: 'm2v_16_img2video_hq_5s', image: { bytes: jpeg, contentType: 'image/jpeg' } };

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('302.ai adapter against the simulator', () => {
  let clock = 1_700_000_000_000;
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ delayMs: DELAY_MS, failureRate: 0, ai302ApiKey: KEY, klingAccessKey: 'ak', klingSecretKey: 'sk', now: () => clock });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.faults.clear());
  const provider = () => createAi302Provider({ apiKey: KEY, baseUrl: sim.url, timeoutMs: 2000 });

  it.each([
    ['t2v', t2v],
    ['i2v', i2v],
  ])('%s goes from processing to completed with downloadable media', async (_kind, request) => {
    const { externalTaskId } = await provider().submit(request);
    const ref = { kind: request.kind, externalTaskId };
    expect(await provider().fetchStatus(ref)).toEqual({ state: 'processing' });
    clock += DELAY_MS / 2;
    expect(await provider().fetchStatus(ref)).toEqual({ state: 'processing' });
    clock += DELAY_MS;
    const status = await provider().fetchStatus(ref);
    if (status.state !== 'completed') throw new Error(`expected completed, got ${status.state}`);
    expect((await download(status.videoUrl)).subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(status.thumbnailUrl).not.toBeNull();
    const thumb = await download(status.thumbnailUrl ?? '');
    expect([thumb[0], thumb[1]]).toEqual([0xff, 0xd8]);
  });

  it('sends the documented multipart fields', async () => {
    await provider().submit({ ...t2v, camera: { type: 'simple', value: 3 }, callbackUrl: 'http://127.0.0.1:9/cb' });
    await provider().submit(i2v);
    const [textRequest, imageRequest] = sim.requests.filter((r) => r.method === 'POST').slice(-2);
    expect(textRequest?.path).toBe('/klingai/m2v_16_txt2video_5s');
    expect(textRequest?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(textRequest?.body).toEqual({
      prompt: 'A red fox in snow',
      negative_prompt: 'blurry',
      cfg: '0.5',
      aspect_ratio: '16:9',
      camera_type: 'horizontal',
      camera_value: '3',
      callback: 'http://127.0.0.1:9/cb',
    });
    expect(imageRequest?.body).toEqual({
      prompt: 'A red fox in snow',
      negative_prompt: 'blurry',
      cfg: '0.5',
      input_image: { filename: 'input.jpg', type: 'image/jpeg', size: jpeg.length },
    });
  });

  it('a wrong key is unauthorized', async () => {
    const wrong = createAi302Provider({ apiKey: 'nope', baseUrl: sim.url, timeoutMs: 2000 });
    expect(await rejection(wrong.submit(t2v))).toMatchObject({ kind: 'unauthorized', details: { httpStatus: 401, providerCode: -10001 } });
    expect(await rejection(wrong.fetchStatus({ kind: 't2v', externalTaskId: '1' }))).toMatchObject({ kind: 'unauthorized' });
  });

  it('an out-of-range cfg is rejected with 302’s message', async () => {
    const error = await rejection(provider().submit({ ...t2v, cfg: 1.5 }));
    expect(error).toMatchObject({ kind: 'rejected', details: { httpStatus: 400 } });
    expect(error.message).toMatch(/^cfg:/);
  });

  it('429 is transient with Retry-After', async () => {
    sim.faults.set({ retryAfterSeconds: 7 });
    sim.faults.enqueue('status429');
    const error = await rejection(provider().submit(t2v));
    expect(error).toMatchObject({ kind: 'transient', details: { httpStatus: 429, retryAfterMs: 7000 } });
  });

  it('no available models (503, -10008) is transient', async () => {
    sim.faults.enqueue('noCapacity');
    const error = await rejection(provider().submit(t2v));
    expect(error).toMatchObject({ kind: 'transient', message: 'No available models', details: { httpStatus: 503, providerCode: -10008 } });
  });

  it('an empty balance at 302 (-10004) is an account problem, with 302’s message', async () => {
    sim.faults.enqueue('noBalance');
    const error = await rejection(provider().submit(t2v));
    expect(error).toMatchObject({ kind: 'account', message: 'Insufficient account balance', details: { providerCode: -10004 } });
  });

  it('sends geo on status fetches only, when configured', async () => {
    const { externalTaskId } = await provider().submit(t2v);
    const ref = { kind: 't2v' as const, externalTaskId };
    await createAi302Provider({ apiKey: KEY, baseUrl: sim.url, timeoutMs: 2000, geo: 'cn' }).fetchStatus(ref);
    await provider().fetchStatus(ref);
    const [create, withGeo, without] = sim.requests.slice(-3);
    expect(create).toMatchObject({ method: 'POST', query: {} });
    expect(withGeo).toMatchObject({ method: 'GET', path: `/klingai/task/${externalTaskId}/fetch`, query: { geo: 'cn' } });
    expect(without).toMatchObject({ method: 'GET', query: {} });
  });

  it('500, malformed JSON, connection reset and a hang past the timeout are transient', async () => {
    const { externalTaskId } = await provider().submit(t2v);
    const ref = { kind: 't2v' as const, externalTaskId };
    sim.faults.set({ hangMs: 5000 });
    sim.faults.enqueue('status500', 'malformed', 'reset', 'hang');
    const fast = createAi302Provider({ apiKey: KEY, baseUrl: sim.url, timeoutMs: 300 });
    for (const expected of [{ httpStatus: 500 }, { httpStatus: 200 }, {}, {}]) {
      const error = await rejection(fast.fetchStatus(ref));
      expect(error.kind).toBe('transient');
      expect(error.details).toMatchObject(expected);
    }
    expect(await fast.fetchStatus(ref)).toEqual({ state: 'processing' });
  });

  it('the caller’s signal aborts the call', async () => {
    sim.faults.set({ hangMs: 5000 });
    sim.faults.enqueue('hang');
    const controller = new AbortController();
    const pending = rejection(provider().fetchStatus({ kind: 't2v', externalTaskId: '1' }, controller.signal));
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'transient', message: 'Request aborted by the caller' });
  });

  it('an unknown task is rejected', async () => {
    expect(await rejection(provider().fetchStatus({ kind: 't2v', externalTaskId: 'missing' }))).toMatchObject({ kind: 'rejected', details: { httpStatus: 404 } });
  });
});

describe('302.ai adapter with kling_-prefixed task ids', () => {
  let clock = 1_700_000_000_000;
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ delayMs: DELAY_MS, failureRate: 0, ai302ApiKey: KEY, klingAccessKey: 'ak', klingSecretKey: 'sk', now: () => clock, ai302TaskIds: 'prefixed' });
  });
  afterAll(() => sim.close());

  it('follows a task named kling_<hex> to completion', async () => {
    const provider = createAi302Provider({ apiKey: KEY, baseUrl: sim.url, timeoutMs: 2000, geo: 'global' });
    const { externalTaskId } = await provider.submit(i2v);
    expect(externalTaskId).toMatch(/^kling_[0-9a-f]{12}$/);
    expect(await provider.fetchStatus({ kind: 'i2v', externalTaskId })).toEqual({ state: 'processing' });
    clock += DELAY_MS;
    expect(await provider.fetchStatus({ kind: 'i2v', externalTaskId })).toMatchObject({ state: 'completed', videoUrl: `${sim.url}/files/${externalTaskId}.mp4` });
  });
});

describe('302.ai adapter when every task fails', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ delayMs: 0, failureRate: 1, ai302ApiKey: KEY, klingAccessKey: 'ak', klingSecretKey: 'sk' });
  });
  afterAll(() => sim.close());

  it('reports failed with the reason', async () => {
    const provider = createAi302Provider({ apiKey: KEY, baseUrl: sim.url, timeoutMs: 2000 });
    const { externalTaskId } = await provider.submit(t2v);
    const status = await provider.fetchStatus({ kind: 't2v', externalTaskId });
    expect(status).toEqual({ state: 'failed', reason: 'Simulated failure: the generation did not succeed' });
  });
});
