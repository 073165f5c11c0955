import { SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFaults } from './faults.js';
import { startSimulator, type Simulator } from './index.js';

const ACCESS = 'ak';
const SECRET = 'sk';
const KEY = 'k302';

describe('simulator', () => {
  let clock = 1_700_000_000_000;
  let sim: Simulator;
  let hooks: Server;
  let hookUrl = '';
  const received: unknown[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ delayMs: 30_000, failureRate: 0, ai302ApiKey: KEY, klingAccessKey: ACCESS, klingSecretKey: SECRET, now: () => clock });
    hooks = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const address = hooks.address();
    hookUrl = typeof address === 'object' && address ? `http://127.0.0.1:${address.port}/hook` : '';
  });
  afterAll(async () => {
    await sim.close();
    await new Promise((resolve) => hooks.close(resolve));
  });
  beforeEach(() => {
    sim.faults.clear();
    received.length = 0;
  });

  const sign = (claims: { iss?: string; exp: number; nbf?: number }, secret = SECRET) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setExpirationTime(claims.exp);
    if (claims.iss) jwt.setIssuer(claims.iss);
    if (claims.nbf) jwt.setNotBefore(claims.nbf);
    return jwt.sign(new TextEncoder().encode(secret));
  };
  const seconds = () => Math.floor(clock / 1000);
  const kling = async (path: string, token: string | undefined, body?: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: await response.json() };
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  };

  const secret = new TextEncoder().encode(SECRET);
  it.each([
    ['missing', async () => undefined, 1001],
    ['expired', (s: number) => sign({ iss: ACCESS, exp: s - 10 }), 1004],
    ['not yet valid', (s: number) => sign({ iss: ACCESS, exp: s + 1800, nbf: s + 600 }), 1003],
    ['wrong issuer', (s: number) => sign({ iss: 'someone', exp: s + 1800 }), 1002],
    ['wrong secret', (s: number) => sign({ iss: ACCESS, exp: s + 1800 }, 'other'), 1002],
    ['exp-less', () => new SignJWT({ iss: ACCESS }).setProtectedHeader({ alg: 'HS256' }).sign(secret), 1002],
  ] as const)('Kling refuses a %s token with code %i', async (_name, makeToken, code) => {
    const reply = await kling('/v1/videos/text2video/1', await makeToken(seconds()));
    expect(reply).toMatchObject({ status: 401, json: { code } });
  });

  it.each([
    [{ prompt: 'x', cfg_scale: 2 }, /^cfg_scale:/],
    [{ prompt: 'x', camera_control: { type: 'simple', config: { horizontal: 1, zoom: 2 } } }, /exactly one/],
    [{ prompt: '' }, /^prompt:/],
    [{ prompt: 'x', aspect_ratio: '4:3' }, /^aspect_ratio:/],
  ])('Kling validates %j', async (body, message) => {
    const reply = await kling('/v1/videos/text2video', await sign({ iss: ACCESS, exp: seconds() + 600 }), body);
    expect(reply).toMatchObject({ status: 400, json: { code: 1201, message: expect.stringMatching(message) } });
  });

  const simple = (axis: string, value: number) => ({ type: 'simple', config: { [axis]: value } });
  it.each([
    ['camera_control on kling-v1-6', '/v1/videos/text2video', { prompt: 'x', model_name: 'kling-v1-6', camera_control: simple('horizontal', 1) }, /camera_control is not supported by kling-v1-6/],
    ['camera_control on kling-v1 in pro mode', '/v1/videos/text2video', { prompt: 'x', model_name: 'kling-v1', mode: 'pro', camera_control: simple('zoom', 2) }, /camera_control is not supported/],
    ['a simple camera_control with every axis at zero', '/v1/videos/text2video', { prompt: 'x', model_name: 'kling-v1', camera_control: { type: 'simple', config: {} } }, /exactly one/],
    ['image_tail on kling-v1-6 in std mode', '/v1/videos/image2video', { model_name: 'kling-v1-6', image: 'AAAA', image_tail: 'AAAA' }, /image_tail is not supported by kling-v1-6 in std mode/],
    ['image_tail with camera_control', '/v1/videos/image2video', { model_name: 'kling-v1', image: 'AAAA', image_tail: 'AAAA', camera_control: simple('pan', 3) }, /cannot be combined/],
    ['a preset camera move on kling-v1-5', '/v1/videos/image2video', { model_name: 'kling-v1-5', mode: 'pro', image: 'AAAA', camera_control: { type: 'down_back' } }, /type down_back is not supported/],
  ])('Kling refuses %s', async (_name, path, body, message) => {
    const reply = await kling(path, await sign({ iss: ACCESS, exp: seconds() + 600 }), body);
    expect(reply).toMatchObject({ status: 400, json: { code: 1201, message: expect.stringMatching(message) } });
  });

  it.each([
    ['camera_control on kling-v1 std 5 s', '/v1/videos/text2video', { prompt: 'x', model_name: 'kling-v1', mode: 'std', duration: '5', camera_control: simple('horizontal', -3) }],
    ['image_tail on kling-v1-6 pro 10 s', '/v1/videos/image2video', { model_name: 'kling-v1-6', mode: 'pro', duration: '10', image: 'AAAA', image_tail: 'AAAA' }],
  ])('Kling takes %s', async (_name, path, body) => {
    const reply = await kling(path, await sign({ iss: ACCESS, exp: seconds() + 600 }), body);
    expect(reply).toMatchObject({ status: 200, json: { code: 0, data: { task_id: expect.any(String) } } });
  });

  it('Kling finds a task by external_task_id as a query parameter, not by that id in the task-id slot', async () => {
    const token = await sign({ iss: ACCESS, exp: seconds() + 600 });
    const created = await kling('/v1/videos/text2video', token, { prompt: 'x', external_task_id: 'sv-lookup' });
    const id: string = created.json.data.task_id;
    expect(await kling('/v1/videos/text2video/sv-lookup', token)).toMatchObject({ status: 404, json: { code: 1203 } });
    expect(await kling('/v1/videos/text2video?external_task_id=sv-lookup', token)).toMatchObject({
      status: 200,
      json: { code: 0, data: { task_id: id, task_info: { external_task_id: 'sv-lookup' } } },
    });
    expect(await kling('/v1/videos/image2video?external_task_id=sv-lookup', token)).toMatchObject({ status: 404, json: { code: 1203 } });
    // Unique per account, whatever the kind.
    expect(await kling('/v1/videos/image2video', token, { image: 'AAAA', external_task_id: 'sv-lookup' })).toMatchObject({
      status: 400,
      json: { code: 1201, message: 'external_task_id already exists' },
    });
  });

  it('Kling refuses a data: URL image', async () => {
    const reply = await kling('/v1/videos/image2video', await sign({ iss: ACCESS, exp: seconds() + 600 }), { image: 'data:image/png;base64,AAAA' });
    expect(reply).toMatchObject({ status: 400, json: { code: 1201, message: expect.stringMatching(/data: prefix/) } });
  });

  it('302 requires an input image for I2V', async () => {
    const form = new FormData();
    form.set('prompt', 'x');
    const response = await fetch(`${sim.url}/klingai/m2v_16_img2video_5s`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringMatching(/input_image/) } });
  });

  const ai302Create = (base: string, key = KEY) => {
    const form = new FormData();
    form.set('prompt', 'x');
    return fetch(`${base}/klingai/m2v_16_txt2video_5s`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
  };
  const ai302Fetch = (id: string, query = '') => fetch(`${sim.url}/klingai/task/${id}/fetch${query}`, { headers: { authorization: `Bearer ${KEY}` } });
  const errorOf = async (response: Response) => ({ status: response.status, body: await response.json() });

  it('302 errors carry its negative err_codes in its documented shape', async () => {
    const shape = (err_code: number, type: string) => ({
      error: { err_code, message: expect.any(String), message_cn: expect.any(String), message_jp: expect.any(String), type },
    });
    expect(await errorOf(await ai302Create(sim.url, 'wrong'))).toEqual({ status: 401, body: shape(-10001, 'unauthorized') });
    expect(await errorOf(await ai302Fetch('nope'))).toEqual({ status: 404, body: shape(-10010, 'not_found') });
    const badPath = await fetch(`${sim.url}/klingai/m2v_nothing`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(await errorOf(badPath)).toMatchObject({ status: 404, body: { error: { err_code: -10010 } } });
    sim.faults.enqueue('noCapacity', 'noBalance', 'status500', 'status429');
    expect(await errorOf(await ai302Create(sim.url))).toEqual({ status: 503, body: shape(-10008, 'service_unavailable') });
    expect(await errorOf(await ai302Create(sim.url))).toEqual({ status: 403, body: shape(-10004, 'insufficient_balance') });
    expect(await errorOf(await ai302Create(sim.url))).toEqual({ status: 500, body: shape(-1024, 'server_error') });
    expect(await errorOf(await ai302Create(sim.url))).toEqual({ status: 429, body: shape(-10429, 'rate_limit') });
    expect([...sim.tasks.values()].filter((t) => t.provider === 'ai302')).toHaveLength(0);
  });

  it('302 fetch takes geo global or cn, and refuses any other', async () => {
    const id: string = (await (await ai302Create(sim.url)).json()).data.task.id;
    for (const query of ['', '?geo=global', '?geo=cn']) expect((await ai302Fetch(id, query)).status).toBe(200);
    expect(await errorOf(await ai302Fetch(id, '?geo=eu'))).toMatchObject({ status: 400, body: { error: { err_code: -10011, message: 'geo: must be global or cn' } } });
  });

  it('302 task ids are digits by default, and alternate with kling_<hex> when asked', async () => {
    expect((await (await ai302Create(sim.url)).json()).data.task.id).toMatch(/^3\d+$/);
    const mixed = await startSimulator({ delayMs: 0, failureRate: 0, ai302ApiKey: KEY, klingAccessKey: ACCESS, klingSecretKey: SECRET, ai302TaskIds: 'alternating' });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await (await ai302Create(mixed.url)).json()).data.task.id);
      expect(ids).toEqual([expect.stringMatching(/^3\d+$/), expect.stringMatching(/^kling_[0-9a-f]{12}$/), expect.stringMatching(/^3\d+$/)]);
      for (const id of ids) {
        const fetched = await fetch(`${mixed.url}/klingai/task/${id}/fetch`, { headers: { authorization: `Bearer ${KEY}` } });
        expect((await fetched.json()).data).toMatchObject({ status: 99, task: { id } });
      }
    } finally {
      await mixed.close();
    }
  });

  it('posts Kling callbacks on each phase change, unenveloped', async () => {
    const reply = await kling('/v1/videos/text2video', await sign({ iss: ACCESS, exp: seconds() + 600 }), { prompt: 'x', callback_url: hookUrl, external_task_id: 'cb-1' });
    const id = reply.json.data.task_id;
    await until(() => received.length >= 1);
    clock += 15_000;
    await kling(`/v1/videos/text2video/${id}`, await sign({ iss: ACCESS, exp: seconds() + 600 }));
    clock += 15_000;
    await kling(`/v1/videos/text2video/${id}`, await sign({ iss: ACCESS, exp: seconds() + 600 }));
    await until(() => received.length >= 3);
    expect(received.map((b) => (typeof b === 'object' && b && 'task_status' in b ? b.task_status : b))).toEqual(['submitted', 'processing', 'succeed']);
    expect(received[2]).toMatchObject({ task_id: id, task_info: { external_task_id: 'cb-1' }, task_result: { videos: [{ url: `${sim.url}/files/${id}.mp4` }] } });
  });

  it('posts 302 callbacks as the fetch envelope', async () => {
    const form = new FormData();
    form.set('prompt', 'x');
    form.set('callback', hookUrl);
    const response = await fetch(`${sim.url}/klingai/m2v_16_txt2video_5s`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: form });
    const id: string = (await response.json()).data.task.id;
    clock += 30_000;
    await fetch(`${sim.url}/klingai/task/${id}/fetch`, { headers: { authorization: `Bearer ${KEY}` } });
    await until(() => received.length >= 2);
    expect(received).toEqual([
      expect.objectContaining({ result: 1, data: expect.objectContaining({ status: 5 }) }),
      expect.objectContaining({ result: 1, data: expect.objectContaining({ status: 99, works: [expect.objectContaining({ resource: expect.objectContaining({ resource: `${sim.url}/files/${id}.mp4` }) })] }) }),
    ]);
  });

  it('serves no media for unfinished or unknown tasks', async () => {
    expect((await fetch(`${sim.url}/files/nope.mp4`)).status).toBe(404);
  });

  it('streams a large file with Content-Length, starting with the sample MP4', async () => {
    const bytes = 3 * 1024 * 1024 + 17;
    const response = await fetch(`${sim.url}/files/large/${bytes}.mp4`);
    expect(response.headers.get('content-length')).toBe(String(bytes));
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(bytes);
    expect(body.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const head = await fetch(`${sim.url}/files/large/100.mp4`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('100');
  });

  it('records requests and closes even with a reply on hold', async () => {
    const other = await startSimulator({ delayMs: 0, failureRate: 0, ai302ApiKey: KEY, klingAccessKey: ACCESS, klingSecretKey: SECRET });
    other.faults.enqueue('hang');
    const pending = fetch(`${other.url}/klingai/task/1/fetch`).catch(() => 'closed');
    await until(() => other.requests.length === 1);
    await other.close();
    expect(await pending).toBe('closed');
  });

  it('keeps no requests when told not to record them, and still answers', async () => {
    const quiet = await startSimulator({ delayMs: 0, failureRate: 0, ai302ApiKey: KEY, klingAccessKey: ACCESS, klingSecretKey: SECRET, recordRequests: false });
    try {
      const res = await fetch(`${quiet.url}/klingai/task/unknown/fetch`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { type: 'not_found' } });
      expect(quiet.peakConcurrentRequests()).toBe(1);
      expect(quiet.requests).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});

describe('fault rates', () => {
  it('draws queued faults first, then by rate', () => {
    const draws = [0.05, 0.15, 0.25, 0.35, 0.45, 0.95];
    const faults = createFaults(() => draws.shift() ?? 1);
    faults.set({ status429Rate: 0.1, status500Rate: 0.1, hangRate: 0.1, malformedRate: 0.1, resetRate: 0.1 });
    faults.enqueue('reset');
    expect(Array.from({ length: 7 }, () => faults.next())).toEqual(['reset', 'status429', 'status500', 'hang', 'malformed', 'reset', undefined]);
    faults.clear();
    expect(faults.settings()).toMatchObject({ status429Rate: 0, hangMs: 60_000 });
  });
});
