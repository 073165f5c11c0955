import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKlingTokenSource } from './kling-jwt.js';
import { buildKlingCreateBody, mapKlingError, mapKlingTask, taskIdForExternalId } from './kling-wire.js';
import type { SubmitRequest } from './video-provider.js';

describe('Kling error codes', () => {
  it.each([
    [401, 1000, 'unauthorized'],
    [401, 1001, 'unauthorized'],
    [401, 1002, 'unauthorized'],
    [401, 1003, 'unauthorized'],
    [401, 1004, 'unauthorized'],
    [429, 1100, 'rejected'],
    [429, 1101, 'rejected'],
    [429, 1102, 'rejected'],
    [403, 1103, 'rejected'],
    [400, 1200, 'rejected'],
    [400, 1201, 'rejected'],
    [404, 1202, 'rejected'],
    [404, 1203, 'rejected'],
    [400, 1300, 'rejected'],
    [400, 1301, 'rejected'],
    [429, 1302, 'transient'],
    [429, 1303, 'transient'],
    [429, 1304, 'rejected'],
    [500, 5000, 'transient'],
    [503, 5001, 'transient'],
    [504, 5002, 'transient'],
    [502, undefined, 'transient'],
    [401, undefined, 'unauthorized'],
    [418, undefined, 'rejected'],
    [400, 9999, 'rejected'],
    [200, 9999, 'transient'],
  ] as const)('HTTP %i code %s → %s', (status, code, kind) => {
    const error = mapKlingError(status, code, 'kling says no', 1500);
    expect(error.kind).toBe(kind);
    expect(error.details.httpStatus).toBe(status);
    if (code !== undefined) expect(error.details.providerCode).toBe(code);
    if (kind === 'transient' && status !== 200) expect(error.details.retryAfterMs).toBe(1500);
  });

  it('keeps Kling’s message for parameter and content errors', () => {
    expect(mapKlingError(400, 1301, 'content safety', undefined).message).toBe('content safety');
  });

  it('explains account problems', () => {
    expect(mapKlingError(429, 1102, 'resource pack exhausted', undefined).message).toMatch(/resource pack used up/);
  });
});

describe('Kling task states', () => {
  const task = (fields: object) => ({ task_id: '1', task_status: 'submitted', ...fields });
  it.each([
    [task({}), { state: 'processing' }],
    [task({ task_status: 'processing' }), { state: 'processing' }],
    [task({ task_status: 'succeed', task_result: { videos: [{ url: 'https://v/1.mp4' }] } }), { state: 'completed', videoUrl: 'https://v/1.mp4', thumbnailUrl: null }],
    [task({ task_status: 'succeed', task_result: {} }), { state: 'processing' }],
    [task({ task_status: 'failed', task_status_msg: 'moderation' }), { state: 'failed', reason: 'moderation' }],
    [task({ task_status: 'failed' }), { state: 'failed', reason: 'Kling reported the task failed' }],
  ])('%j', (input, expected) => {
    expect(mapKlingTask(input)).toEqual(expected);
  });
});

describe('Kling create body', () => {
  const request: SubmitRequest = {
    kind: 't2v',
    durationSeconds: 10,
    highQuality: true,
    model: 'kling-v1-6',
    prompt: 'a fox',
    negativePrompt: 'blurry',
    cfg: 0.5,
    aspectRatio: '9:16',
    clientTaskId: 'sv-1',
  };

  it('puts aspect_ratio at the top level, sends duration as a string and no camera_control', () => {
    expect(buildKlingCreateBody(request)).toEqual({
      model_name: 'kling-v1-6',
      prompt: 'a fox',
      negative_prompt: 'blurry',
      cfg_scale: 0.5,
      mode: 'pro',
      duration: '10',
      aspect_ratio: '9:16',
      external_task_id: 'sv-1',
    });
  });

  it('builds camera_control only when asked', () => {
    expect(buildKlingCreateBody({ ...request, camera: { type: 'simple', value: -4 } }).camera_control).toEqual({
      type: 'simple',
      config: { horizontal: -4, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: 0 },
    });
    expect(buildKlingCreateBody({ ...request, camera: { type: 'down_back', value: 3 } }).camera_control).toEqual({ type: 'down_back' });
  });

  it('sends I2V images as bare base64 and no aspect_ratio', () => {
    const body = buildKlingCreateBody({ ...request, kind: 'i2v', image: { bytes: Buffer.from('hello'), contentType: 'image/png' } });
    expect(body.image).toBe('aGVsbG8=');
    expect(body).not.toHaveProperty('aspect_ratio');
    expect(body).not.toHaveProperty('image_tail');
  });

  it('sends the end frame as image_tail, bare base64, on image-to-video only', () => {
    const endImage = { bytes: Buffer.from('last'), contentType: 'image/jpeg' as const };
    const i2v = buildKlingCreateBody({ ...request, kind: 'i2v', image: { bytes: Buffer.from('hello'), contentType: 'image/png' }, endImage });
    expect(i2v).toMatchObject({ image: 'aGVsbG8=', image_tail: 'bGFzdA==' });
    expect(buildKlingCreateBody({ ...request, endImage })).not.toHaveProperty('image_tail');
  });
});

describe('Kling lookup by external_task_id', () => {
  const task = (externalTaskId?: string | null, taskId = '831') => ({
    task_id: taskId,
    task_status: 'processing',
    ...(externalTaskId === undefined ? {} : { task_info: { external_task_id: externalTaskId } }),
  });
  it.each([
    ['a task carrying our id', task('sv-a'), '831'],
    ['a lone task naming none (the query named it)', task(), '831'],
    ['a lone task with a null id', task(null), '831'],
    ['a task carrying another id', task('sv-b'), undefined],
    ['a list holding ours', [task('sv-b', '1'), task('sv-a', '2')], '2'],
    ['a list without ours (the parameter ignored)', [task('sv-b', '1'), task(undefined, '3')], undefined],
    ['an empty list', [], undefined],
    ['no data', null, undefined],
  ])('%s', (_name, data, expected) => {
    expect(taskIdForExternalId(data, 'sv-a')).toBe(expected);
  });
});

describe('Kling JWT', () => {
  it('signs the documented header and claims', async () => {
    const tokens = createKlingTokenSource({ accessKey: 'ak', secretKey: 'sk', now: () => 1_700_000_000_000 });
    const token = await tokens.get();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodeJwt(token)).toEqual({ iss: 'ak', exp: 1_700_000_000 + 1800, nbf: 1_700_000_000 - 5 });
  });

  it('reuses the token until fewer than 5 minutes remain, then re-signs', async () => {
    let clock = 1_700_000_000_000;
    const tokens = createKlingTokenSource({ accessKey: 'ak', secretKey: 'sk', now: () => clock });
    const first = await tokens.get();
    clock += 1000 * (1800 - 301);
    expect(await tokens.get()).toBe(first);
    clock += 2000;
    const second = await tokens.get();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).iat).toBeUndefined();
  });

  it('re-signs after invalidate', async () => {
    let clock = 1_700_000_000_000;
    const tokens = createKlingTokenSource({ accessKey: 'ak', secretKey: 'sk', now: () => clock });
    const first = await tokens.get();
    clock += 1000;
    tokens.invalidate();
    expect(await tokens.get()).not.toBe(first);
  });
});
