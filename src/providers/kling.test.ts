import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createKlingProvider } from './kling.js';
import { startSimulator, type Simulator } from './simulator/index.js';
import { ProviderError, type SubmitRequest } from './video-provider.js';

const ACCESS = 'test-access-key';
const SECRET = 'test-secret-key';
const DELAY_MS = 30_000;
const jpeg = readFileSync(new URL('./simulator/assets/thumbnail.jpg', import.meta.url));
let seq = 0;

function t2v(overrides: Partial<SubmitRequest> = {}): SubmitRequest {
  seq += 1;
  return {
    kind: 't2v',
    durationSeconds: 5,
    highQuality: false,
    model: 'kling-v1-6',
    prompt: 'A red fox in snow',
    negativePrompt: '',
    cfg: 0.5,
    aspectRatio: '16:9',
    clientTaskId: `sv-${seq}`,
    ...overrides,
  };
}
const i2v = () => t2v({ kind: 'i2v', image: { bytes: jpeg, contentType: 'image/jpeg' } });

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('Kling adapter against the simulator', () => {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ delayMs: DELAY_MS, failureRate: 0, ai302ApiKey: 'k', klingAccessKey: ACCESS, klingSecretKey: SECRET, now });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.faults.clear());
  const provider = (secretKey = SECRET, timeoutMs = 2000) => createKlingProvider({ accessKey: ACCESS, secretKey, baseUrl: sim.url, timeoutMs, now });
  const lastPost = () => sim.requests.filter((r) => r.method === 'POST').at(-1);

  it.each([
    ['t2v', t2v],
    ['i2v', i2v],
  ])('%s goes from processing to completed with a downloadable MP4', async (_kind, make) => {
    const request = make();
    const kling = provider();
    const { externalTaskId } = await kling.submit(request);
    const ref = { kind: request.kind, externalTaskId };
    expect(await kling.fetchStatus(ref)).toEqual({ state: 'processing' });
    clock += DELAY_MS / 2;
    expect(await kling.fetchStatus(ref)).toEqual({ state: 'processing' });
    clock += DELAY_MS;
    const status = await kling.fetchStatus(ref);
    if (status.state !== 'completed') throw new Error(`expected completed, got ${status.state}`);
    expect(status.thumbnailUrl).toBeNull();
    const video = Buffer.from(await (await fetch(status.videoUrl)).arrayBuffer());
    expect(video.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const thumb = Buffer.from(await (await fetch(status.videoUrl.replace(/\.mp4$/, '.jpg'))).arrayBuffer());
    expect([thumb[0], thumb[1]]).toEqual([0xff, 0xd8]);
  });

  it('sends the documented T2V body: top-level aspect_ratio, string duration, no camera_control', async () => {
    await provider().submit(t2v({ durationSeconds: 10, highQuality: true, callbackUrl: 'http://127.0.0.1:9/cb' }));
    const request = lastPost();
    expect(request?.path).toBe('/v1/videos/text2video');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({
      model_name: 'kling-v1-6',
      prompt: 'A red fox in snow',
      negative_prompt: '',
      cfg_scale: 0.5,
      mode: 'pro',
      aspect_ratio: '16:9',
      duration: '10',
      external_task_id: `sv-${seq}`,
      callback_url: 'http://127.0.0.1:9/cb',
    });
  });

  it('sends camera_control only when asked, and I2V as bare base64 without aspect_ratio', async () => {
    await provider().submit(t2v({ model: 'kling-v1', camera: { type: 'simple', value: 5 } }));
    expect(lastPost()?.body).toMatchObject({ camera_control: { type: 'simple', config: { horizontal: 5, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: 0 } } });
    await provider().submit(i2v());
    const body = lastPost()?.body;
    expect(lastPost()?.path).toBe('/v1/videos/image2video');
    expect(body).toMatchObject({ image: jpeg.toString('base64') });
    expect(body).not.toHaveProperty('aspect_ratio');
    expect(body).not.toHaveProperty('camera_control');
  });

  it('camera_control on kling-v1-6 is refused, as Kling’s capability map says', async () => {
    const error = await rejection(provider().submit(t2v({ camera: { type: 'simple', value: 5 } })));
    expect(error).toMatchObject({ kind: 'rejected', details: { httpStatus: 400, providerCode: 1201 }, message: expect.stringMatching(/camera_control/) });
  });

  it('sends the end frame as image_tail, which kling-v1-6 takes in pro mode and refuses in std mode', async () => {
    const endImage = { bytes: jpeg, contentType: 'image/jpeg' as const };
    await provider().submit({ ...i2v(), highQuality: true, durationSeconds: 10, endImage });
    expect(lastPost()?.body).toMatchObject({ model_name: 'kling-v1-6', mode: 'pro', image: jpeg.toString('base64'), image_tail: jpeg.toString('base64') });
    const error = await rejection(provider().submit({ ...i2v(), endImage }));
    expect(error).toMatchObject({ kind: 'rejected', details: { httpStatus: 400, providerCode: 1201 }, message: expect.stringMatching(/image_tail/) });
  });

  it('looks a task up by external_task_id as a query parameter, never by our id in the task-id slot', async () => {
    const urls: string[] = [];
    const kling = createKlingProvider({
      accessKey: ACCESS, secretKey: SECRET, baseUrl: sim.url, timeoutMs: 2000, now,
      fetch: (input, init) => {
        urls.push(input.slice(sim.url.length));
        return fetch(input, init);
      },
    });
    const request = t2v({ clientTaskId: 'sv-0b6a7f52-3d1c-4f0e-9a57-2f4c1d9e8b10' });
    const { externalTaskId } = await kling.submit(request);
    urls.length = 0;
    expect(await kling.findByClientTaskId?.({ kind: 't2v', clientTaskId: request.clientTaskId })).toEqual({ externalTaskId });
    expect(urls).toEqual([`/v1/videos/text2video?external_task_id=${request.clientTaskId}`]);
    urls.length = 0;
    expect(await kling.findByClientTaskId?.({ kind: 't2v', clientTaskId: 'sv-never' })).toBeNull();
    // The documented form found nothing, so the other form was asked too; neither puts our id alone in the slot.
    expect(urls).toEqual(['/v1/videos/text2video?external_task_id=sv-never', '/v1/videos/text2video/sv-never?external_task_id=true']);
  });

  it('finds a task by our client task id, and null when there is none', async () => {
    const request = t2v();
    const kling = provider();
    const { externalTaskId } = await kling.submit(request);
    expect(await kling.findByClientTaskId?.({ kind: 't2v', clientTaskId: request.clientTaskId })).toEqual({ externalTaskId });
    expect(await kling.findByClientTaskId?.({ kind: 'i2v', clientTaskId: request.clientTaskId })).toBeNull();
    expect(await kling.findByClientTaskId?.({ kind: 't2v', clientTaskId: 'sv-never' })).toBeNull();
  });

  it('a duplicate external_task_id is rejected with Kling’s message', async () => {
    const request = t2v();
    await provider().submit(request);
    expect(await rejection(provider().submit(request))).toMatchObject({ kind: 'rejected', details: { httpStatus: 400, providerCode: 1201 } });
  });

  it('a wrong secret is unauthorized after one re-signed retry', async () => {
    const before = sim.requests.length;
    const error = await rejection(provider('wrong-secret').submit(t2v()));
    expect(error).toMatchObject({ kind: 'unauthorized', details: { httpStatus: 401, providerCode: 1002 } });
    expect(sim.requests.length - before).toBe(2);
  });

  it('reuses its JWT, and re-signs when it nears expiry', async () => {
    const kling = provider();
    const ref = { kind: 't2v' as const, externalTaskId: (await kling.submit(t2v())).externalTaskId };
    await kling.fetchStatus(ref);
    const tokens = () => sim.requests.slice(-2).map((r) => r.headers.authorization);
    const [first, second] = tokens();
    expect(first).toBe(second);
    clock += 26 * 60_000;
    await kling.fetchStatus(ref);
    expect(sim.requests.at(-1)?.headers.authorization).not.toBe(first);
  });

  it('re-signs and retries once when Kling calls the cached token expired', async () => {
    // The simulator's clock runs 15 min ahead of ours, so a token we still trust looks expired to it.
    const skewed = await startSimulator({ delayMs: 0, failureRate: 0, ai302ApiKey: 'k', klingAccessKey: ACCESS, klingSecretKey: SECRET, now: () => clock + 15 * 60_000 });
    try {
      const remote = createKlingProvider({ accessKey: ACCESS, secretKey: SECRET, baseUrl: skewed.url, timeoutMs: 2000, now });
      await remote.submit(t2v());
      clock += 20 * 60_000;
      await remote.submit(t2v());
      const tokens = skewed.requests.map((r) => r.headers.authorization);
      expect(tokens).toHaveLength(3);
      expect(tokens[1]).toBe(tokens[0]);
      expect(tokens[2]).not.toBe(tokens[1]);
      expect(skewed.tasks.size).toBe(2);
    } finally {
      await skewed.close();
    }
  });

  it('gives up as unauthorized when the re-signed token is refused too', async () => {
    const skewed = await startSimulator({ delayMs: 0, failureRate: 0, ai302ApiKey: 'k', klingAccessKey: ACCESS, klingSecretKey: SECRET, now: () => clock + 3600_000 });
    try {
      const remote = createKlingProvider({ accessKey: ACCESS, secretKey: SECRET, baseUrl: skewed.url, timeoutMs: 2000, now });
      expect(await rejection(remote.submit(t2v()))).toMatchObject({ kind: 'unauthorized', details: { providerCode: 1004 } });
      expect(skewed.requests).toHaveLength(2);
      expect(skewed.tasks.size).toBe(0);
    } finally {
      await skewed.close();
    }
  });

  it('429 is transient with Retry-After; 500, malformed JSON and a hang are transient', async () => {
    const kling = provider(SECRET, 300);
    const { externalTaskId } = await kling.submit(t2v());
    const ref = { kind: 't2v' as const, externalTaskId };
    sim.faults.set({ retryAfterSeconds: 3, hangMs: 5000 });
    sim.faults.enqueue('status429', 'status500', 'malformed', 'hang', 'reset');
    expect(await rejection(kling.fetchStatus(ref))).toMatchObject({ kind: 'transient', details: { httpStatus: 429, providerCode: 1302, retryAfterMs: 3000 } });
    expect(await rejection(kling.fetchStatus(ref))).toMatchObject({ kind: 'transient', details: { httpStatus: 500, providerCode: 5000 } });
    expect(await rejection(kling.fetchStatus(ref))).toMatchObject({ kind: 'transient', details: { httpStatus: 200 } });
    expect(await rejection(kling.fetchStatus(ref))).toMatchObject({ kind: 'transient', message: expect.stringMatching(/within 300 ms/) });
    expect(await rejection(kling.fetchStatus(ref))).toMatchObject({ kind: 'transient' });
    expect(await kling.fetchStatus(ref)).toMatchObject({ state: expect.any(String) });
  });

  it('a hung create still made the task, so findByClientTaskId recognises it', async () => {
    sim.faults.set({ hangMs: 5000 });
    sim.faults.enqueue('hang');
    const request = t2v();
    const kling = provider(SECRET, 300);
    expect(await rejection(kling.submit(request))).toMatchObject({ kind: 'transient' });
    expect(await kling.findByClientTaskId?.({ kind: 't2v', clientTaskId: request.clientTaskId })).toEqual({ externalTaskId: expect.any(String) });
  });

  it('an integer duration would be refused like Kling does', async () => {
    const response = await fetch(`${sim.url}/v1/videos/text2video`, {
      method: 'POST',
      headers: { authorization: sim.requests.at(-1)?.headers.authorization ?? '', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', duration: 5 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 1201, message: expect.stringMatching(/^duration:/) });
  });
});

describe('Kling lookup by external_task_id against scripted replies', () => {
  const taskObject = (taskId: string, externalTaskId: string) => ({ task_id: taskId, task_status: 'processing', task_info: { external_task_id: externalTaskId } });
  const ok = (data: unknown) => Response.json({ code: 0, message: 'SUCCEED', request_id: 'r', data });
  const refused = (status: number, code: number) => Response.json({ code, message: 'no', request_id: 'r' }, { status });

  /** An adapter whose every reply comes from `replies`, in order; the URLs it asked are kept in `urls`. */
  function scripted(replies: Array<() => Response>) {
    const urls: string[] = [];
    const kling = createKlingProvider({
      accessKey: ACCESS, secretKey: SECRET, baseUrl: 'https://kling.test', timeoutMs: 2000,
      fetch: async (input) => {
        urls.push(input.slice('https://kling.test'.length));
        const next = replies.shift();
        if (!next) throw new Error(`unexpected request ${input}`);
        return next();
      },
    });
    return { kling, urls };
  }

  it.each([
    ['answers 404 1203', () => refused(404, 1203)],
    ['refuses the form (400 1201)', () => refused(400, 1201)],
    ['lists its newest tasks, ignoring the parameter', () => ok([taskObject('1', 'sv-other'), taskObject('2', 'sv-another')])],
    ['shows another task', () => ok(taskObject('3', 'sv-other'))],
  ])('falls back to /{id}?external_task_id=true when the query form %s', async (_name, first) => {
    const { kling, urls } = scripted([first, () => ok(taskObject('831', 'sv-a'))]);
    expect(await kling.findByClientTaskId?.({ kind: 'i2v', clientTaskId: 'sv-a' })).toEqual({ externalTaskId: '831' });
    expect(urls).toEqual(['/v1/videos/image2video?external_task_id=sv-a', '/v1/videos/image2video/sv-a?external_task_id=true']);
  });

  it('takes the task from a list that holds it, without asking again', async () => {
    const { kling, urls } = scripted([() => ok([taskObject('1', 'sv-other'), taskObject('2', 'sv-a')])]);
    expect(await kling.findByClientTaskId?.({ kind: 't2v', clientTaskId: 'sv-a' })).toEqual({ externalTaskId: '2' });
    expect(urls).toHaveLength(1);
  });

  it('throws what is not an answer (a 5xx), so the task is looked up again later rather than resubmitted', async () => {
    const { kling } = scripted([() => refused(500, 5000)]);
    expect(await rejection(kling.findByClientTaskId!({ kind: 't2v', clientTaskId: 'sv-a' }))).toMatchObject({ kind: 'transient' });
  });
});

describe('Kling adapter when every task fails', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ delayMs: 0, failureRate: 1, ai302ApiKey: 'k', klingAccessKey: ACCESS, klingSecretKey: SECRET });
  });
  afterAll(() => sim.close());

  it('reports failed with Kling’s task_status_msg', async () => {
    const kling = createKlingProvider({ accessKey: ACCESS, secretKey: SECRET, baseUrl: sim.url, timeoutMs: 2000 });
    const { externalTaskId } = await kling.submit(i2v());
    expect(await kling.fetchStatus({ kind: 'i2v', externalTaskId })).toEqual({ state: 'failed', reason: 'Simulated failure: the generation did not succeed' });
  });
});
