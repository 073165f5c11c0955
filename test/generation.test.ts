import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG } from '../src/domain/catalog.js';
import { setCreditBalance } from '../src/db/queries/credits.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { jpegOf, pngOf } from './helpers/images.js';
import { multipart } from './helpers/multipart.js';

/** additional_params.api_endpoint as the original recorded it: the provider's endpoint for the product. */
const ORIGINAL_ENDPOINTS: Record<string, string> = {
  'ai302-t2v-5s': 'https://api.302.ai/klingai/m2v_16_txt2video_5s',
  'ai302-t2v-10s': 'https://api.302.ai/klingai/m2v_16_txt2video_10s',
  'ai302-t2v-hq-5s': 'https://api.302.ai/klingai/m2v_16_txt2video_hq_5s',
  'ai302-t2v-hq-10s': 'https://api.302.ai/klingai/m2v_16_txt2video_hq_10s',
  'ai302-i2v-5s': 'https://api.302.ai/klingai/m2v_16_img2video_5s',
  'ai302-i2v-10s': 'https://api.302.ai/klingai/m2v_16_img2video_10s',
  'ai302-i2v-hq-5s': 'https://api.302.ai/klingai/m2v_16_img2video_hq_5s',
  'ai302-i2v-hq-10s': 'https://api.302.ai/klingai/m2v_16_img2video_hq_10s',
  'kling-t2v-5s': 'https://api-singapore.klingai.com/v1/videos/text2video',
  'kling-t2v-10s': 'https://api-singapore.klingai.com/v1/videos/text2video',
  'kling-t2v-hq-5s': 'https://api-singapore.klingai.com/v1/videos/text2video',
  'kling-t2v-hq-10s': 'https://api-singapore.klingai.com/v1/videos/text2video',
  'kling-i2v-5s': 'https://api-singapore.klingai.com/v1/videos/image2video',
  'kling-i2v-10s': 'https://api-singapore.klingai.com/v1/videos/image2video',
  'kling-i2v-hq-5s': 'https://api-singapore.klingai.com/v1/videos/image2video',
  'kling-i2v-hq-10s': 'https://api-singapore.klingai.com/v1/videos/image2video',
};

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function balanceOf(user: TestUser): Promise<number> {
  const res = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: user.auth });
  return res.json().credits_balance;
}

async function setBalance(user: TestUser, balance: number): Promise<void> {
  await t.deps.db.transaction((tx) => setCreditBalance(tx, { userId: user.id, balance }));
}

/** Every balance equals the sum of its ledger: nothing moved without a ledger row. */
async function expectLedgerExplainsBalances(): Promise<void> {
  const { rows } = await t.deps.db.query<{ user_id: string; balance: number; ledger: number }>(
    `select uc.user_id, uc.credits_balance as balance, coalesce(sum(l.delta), 0)::int as ledger
       from user_credits uc left join credit_ledger l on l.user_id = uc.user_id group by uc.user_id, uc.credits_balance`,
  );
  for (const row of rows) expect(row.ledger, row.user_id).toBe(row.balance);
}

function generate(product: (typeof CATALOG)[number], user: TestUser, extra: { headers?: Record<string, string>; prompt?: string } = {}) {
  const headers = { ...user.auth, ...extra.headers };
  if (product.kind === 't2v') {
    return t.app.inject({ method: 'POST', url: product.path, headers, payload: { prompt: extra.prompt ?? 'A red fox in snow', aspect_ratio: '16:9', cfg: 0.5 } });
  }
  const form = multipart({ prompt: extra.prompt ?? 'The fox turns its head', cfg: '0.5' }, { input_image: { filename: 'fox.png', contentType: 'image/png', data: pngOf(640, 360) } });
  return t.app.inject({ method: 'POST', url: product.path, headers: { ...headers, ...form.headers }, payload: form.body });
}

describe('prices', () => {
  it.each(CATALOG.map((p) => [p.path, p] as const))('%s charges its catalog price and answers the contract shape', async (_path, product) => {
    const user = await t.signUp();
    await setBalance(user, 20);
    const res = await generate(product, user);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    if (product.kind === 'i2v') {
      expect(body).toEqual({ message: '任务创建成功', taskId: expect.any(Number), statusId: expect.any(Number), status: 'pending' });
    } else if (product.provider === 'kling') {
      expect(body).toEqual({ data: { task_id: expect.any(String) }, taskId: expect.any(Number) });
    } else {
      expect(body).toEqual({ data: { task: { id: expect.any(String) } }, taskId: expect.any(Number) });
    }
    expect(await balanceOf(user)).toBe(20 - product.credits);
    const history = await t.app.inject({ method: 'GET', url: '/api/user/credit-history', headers: user.auth });
    expect(history.json().entries[0]).toMatchObject({ delta: -product.credits, reason: 'generation', task_id: body.taskId, balance_after: 20 - product.credits });
    const task = await t.app.inject({ method: 'GET', url: `/api/user/tasks/${body.taskId}`, headers: user.auth });
    // As the original wrote them, which its clients branch on: 'video' or 'i2v', 'kling', the provider's endpoint.
    expect(task.json()).toMatchObject({
      task_type: product.kind === 't2v' ? 'video' : 'i2v',
      model: 'kling',
      credits: product.credits,
      high_quality: product.highQuality,
      additional_params: { duration: `${product.durationSeconds}s`, api_endpoint: ORIGINAL_ENDPOINTS[product.id] },
    });
  });

  it('sends each product to its provider with the right model, duration and quality', async () => {
    const user = await t.signUp();
    await setBalance(user, 100);
    const before = t.simulator.requests.length;
    for (const product of CATALOG) expect((await generate(product, user)).statusCode).toBe(200);
    const creates = t.simulator.requests.slice(before).filter((r) => r.method === 'POST');
    expect(creates.map((r) => r.path)).toEqual(
      CATALOG.map((p) => (p.provider === 'ai302' ? `/klingai/${p.model}` : `/v1/videos/${p.kind === 't2v' ? 'text2video' : 'image2video'}`)),
    );
    const official = creates.filter((r) => r.path.startsWith('/v1/'));
    const officialProducts = CATALOG.filter((p) => p.provider === 'kling');
    official.forEach((request, i) => {
      const product = officialProducts[i]!;
      expect(request.body).toMatchObject({ model_name: product.model, mode: product.highQuality ? 'pro' : 'std', duration: String(product.durationSeconds) });
      expect(request.body).not.toHaveProperty('camera_control');
    });
  });
});

describe('money under concurrency', () => {
  it('accepts exactly 10 of 50 concurrent 1-credit requests against a balance of 10, leaving 0', async () => {
    const user = await t.signUp();
    const product = CATALOG.find((p) => p.path === '/api/kling/5s')!;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => generate(product, user, { prompt: `fox ${i}` })));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    expect(codes.filter((c) => c === 400)).toHaveLength(40);
    for (const r of results.filter((r) => r.statusCode === 400)) expect(r.json()).toMatchObject({ error: 'Insufficient credits', code: 'insufficient_credits' });
    expect(await balanceOf(user)).toBe(0);
    const tasks = await t.app.inject({ method: 'GET', url: '/api/user/fetch-creation', headers: user.auth });
    expect(tasks.json().creations).toHaveLength(10);
    await expectLedgerExplainsBalances();
  });

  it('charges once for concurrent retries with one Idempotency-Key, and replays the first answer', async () => {
    const user = await t.signUp();
    const product = CATALOG.find((p) => p.path === '/api/kling/hq/10s')!;
    const headers = { 'idempotency-key': 'order-42' };
    const results = await Promise.all(Array.from({ length: 8 }, () => generate(product, user, { headers })));
    const ok = results.filter((r) => r.statusCode === 200);
    // A retry that arrives while the first request is still at the provider is told so (409) rather than charged.
    expect(ok.length + results.filter((r) => r.statusCode === 409).length).toBe(8);
    expect(new Set(ok.map((r) => r.json().taskId)).size).toBe(1);
    const later = await generate(product, user, { headers });
    expect(later.json()).toEqual(ok[0]!.json());
    expect(await balanceOf(user)).toBe(10 - 4);
    const reused = await generate(product, user, { headers, prompt: 'a different video' });
    expect(reused.statusCode).toBe(422);
    expect(await balanceOf(user)).toBe(6);
  });

  it('a key refused for want of credits is not spent: the same key succeeds once the credits are there', async () => {
    const user = await t.signUp();
    await setBalance(user, 3);
    const product = CATALOG.find((p) => p.path === '/api/kling/hq/10s')!;
    const headers = { 'idempotency-key': 'top-up-first' };
    expect((await generate(product, user, { headers })).statusCode).toBe(400);
    await setBalance(user, 4);
    const res = await generate(product, user, { headers });
    expect(res.statusCode).toBe(200);
    expect(await balanceOf(user)).toBe(0);
    await expectLedgerExplainsBalances();
  });

  it('keys are per user', async () => {
    const [u1, u2] = [await t.signUp(), await t.signUp()];
    const product = CATALOG.find((p) => p.path === '/api/kling/5s')!;
    const headers = { 'idempotency-key': 'same-key' };
    const r1 = await generate(product, u1, { headers });
    const r2 = await generate(product, u2, { headers });
    expect(r1.json().taskId).not.toBe(r2.json().taskId);
    expect([await balanceOf(u1), await balanceOf(u2)]).toEqual([9, 9]);
  });
});

describe('provider refusal', () => {
  it.each([
    ['ai302 t2v', '/api/kling/10s', 'status500' as const],
    ['kling t2v', '/api/kling-official/5s', 'status429' as const],
    ['ai302 i2v', '/api/kling/i2v/5s', 'reset' as const],
  ])('%s: the task fails with the reason and the credits come back exactly once', async (_name, path, fault) => {
    const user = await t.signUp();
    const product = CATALOG.find((p) => p.path === path)!;
    t.simulator.faults.enqueue(fault);
    const res = await generate(product, user);
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'provider_error', details: { refunded: true } });
    expect(await balanceOf(user)).toBe(10);
    const task = await t.app.inject({ method: 'GET', url: `/api/user/tasks/${res.json().details.taskId}`, headers: user.auth });
    expect(task.json()).toMatchObject({ status: 'failed', refunded: true, error_message: expect.stringMatching(/Provider/) });
    const history = (await t.app.inject({ method: 'GET', url: '/api/user/credit-history', headers: user.auth })).json().entries;
    expect(history.filter((e: { reason: string }) => e.reason === 'refund')).toEqual([expect.objectContaining({ delta: product.credits, balance_after: 10 })]);
    await expectLedgerExplainsBalances();
  });

  it('refunds once even when asked twice', async () => {
    const { failAndRefundTask } = await import('../src/db/queries/refunds.js');
    const user = await t.signUp();
    const res = await generate(CATALOG[0]!, user);
    const taskId = res.json().taskId;
    const refunds = await Promise.all([1, 2, 3].map(() => t.deps.db.transaction((tx) => failAndRefundTask(tx, taskId, 'test'))));
    expect(refunds.filter((r) => r !== null)).toEqual([1]);
    expect(await balanceOf(user)).toBe(10);
  });
});

describe('bad input is refused with 400, without charge or stored file', () => {
  const t2v = '/api/kling/5s';
  const i2v = '/api/kling/i2v/5s';
  const png = { filename: 'a.png', contentType: 'image/png', data: pngOf(640, 360) };
  const cases: Array<[string, string, () => { payload: unknown; headers?: Record<string, string> }, string]> = [
    ['no prompt', t2v, () => ({ payload: { cfg: 0.3 } }), 'validation_error'],
    ['blank prompt', t2v, () => ({ payload: { prompt: '   ' } }), 'validation_error'],
    ['prompt over 2500', t2v, () => ({ payload: { prompt: 'x'.repeat(2501) } }), 'validation_error'],
    ['NUL in the prompt', t2v, () => ({ payload: { prompt: 'a fox\u0000' } }), 'validation_error'],
    ['escape sequence in the negative prompt', t2v, () => ({ payload: { prompt: 'ok', negative_prompt: '\u001b[2J' } }), 'validation_error'],
    ['i2v NUL in the prompt', i2v, () => multipartCase({ prompt: 'a\u0000fox' }, { input_image: png }), 'validation_error'],
    ['negative prompt over 2500', t2v, () => ({ payload: { prompt: 'ok', negative_prompt: 'x'.repeat(2501) } }), 'validation_error'],
    ['cfg above 1', t2v, () => ({ payload: { prompt: 'ok', cfg: 1.5 } }), 'validation_error'],
    ['cfg as text', t2v, () => ({ payload: { prompt: 'ok', cfg: 'high' } }), 'validation_error'],
    ['bad aspect ratio', t2v, () => ({ payload: { prompt: 'ok', aspect_ratio: '4:3' } }), 'validation_error'],
    ['bad camera type', '/api/kling-official/5s', () => ({ payload: { prompt: 'ok', camera_type: 'zoom' } }), 'validation_error'],
    ['camera value out of range', '/api/kling-official/5s', () => ({ payload: { prompt: 'ok', camera_type: 'simple', camera_value: 11 } }), 'validation_error'],
    ['camera on a 302 route', t2v, () => ({ payload: { prompt: 'ok', camera_type: 'simple' } }), 'validation_error'],
    ['not JSON', t2v, () => ({ payload: '{"prompt":', headers: { 'content-type': 'application/json' } }), 'fst_err_ctp_invalid_json_body'],
    ['i2v without image', i2v, () => multipartCase({ prompt: 'ok' }), 'missing_parameters'],
    ['i2v without prompt', i2v, () => multipartCase({}, { input_image: png }), 'missing_parameters'],
    ['i2v as JSON', i2v, () => ({ payload: { prompt: 'ok' } }), 'missing_parameters'],
    ['i2v cfg out of range', i2v, () => multipartCase({ prompt: 'ok', cfg: '2' }, { input_image: png }), 'validation_error'],
    ['i2v GIF named .png', i2v, () => multipartCase({ prompt: 'ok' }, { input_image: { ...png, data: Buffer.from('GIF89a' + 'x'.repeat(100)) } }), 'validation_error'],
    ['i2v image too small', i2v, () => multipartCase({ prompt: 'ok' }, { input_image: { ...png, data: pngOf(200, 400) } }), 'validation_error'],
    ['i2v image too narrow', i2v, () => multipartCase({ prompt: 'ok' }, { input_image: { ...png, data: jpegOf(300, 800), contentType: 'image/jpeg' } }), 'validation_error'],
    ['i2v image over 10 MB', i2v, () => multipartCase({ prompt: 'ok' }, { input_image: { ...png, data: Buffer.concat([pngOf(640, 360), Buffer.alloc(10 * 1024 * 1024)]) } }), 'validation_error'],
    ['i2v two images', i2v, () => multipartCase({ prompt: 'ok' }, { input_image: png, tail_image: png }), 'validation_error'],
  ];

  /** Every uploaded image in storage (tests in this file run one at a time). */
  const uploadedImages = () => readdir(`${t.mediaRoot}/uploads`).catch(() => []);

  function multipartCase(fields: Record<string, string>, files: Parameters<typeof multipart>[1] = {}) {
    const form = multipart(fields, files);
    return { payload: form.body, headers: form.headers };
  }

  it.each(cases)('%s', async (_name, url, make, code) => {
    const user = await t.signUp();
    const before = await uploadedImages();
    const { payload, headers } = make();
    const res = await t.app.inject({ method: 'POST', url, headers: { ...user.auth, ...headers }, payload: payload as string });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe(code);
    if (code === 'missing_parameters') expect(res.json().error).toBe('缺少必要参数');
    expect(await balanceOf(user)).toBe(10);
    expect(await uploadedImages()).toEqual(before);
  });

  it('insufficient credits: the contract message on image-to-video, with nothing stored', async () => {
    const user = await t.signUp();
    const before = await uploadedImages();
    await setBalance(user, 3);
    const res = await generate(CATALOG.find((p) => p.path === '/api/kling/i2v/hq/5s')!, user);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: '积分不足', code: 'insufficient_credits', details: { required: 4, balance: 3 } });
    expect(await uploadedImages()).toEqual(before);
  });

  it('keeps an accepted image in storage under start_img_path', async () => {
    const user = await t.signUp();
    const res = await generate(CATALOG.find((p) => p.path === '/api/kling/i2v/5s')!, user);
    const task = (await t.app.inject({ method: 'GET', url: `/api/user/tasks/${res.json().taskId}`, headers: user.auth })).json();
    expect(task.start_img_path).toMatch(/^uploads\/[0-9a-f-]{36}\.png$/);
    // Kept for the provider, never served: an uploaded image is not public.
    expect((await t.app.inject({ method: 'GET', url: `/media/${task.start_img_path}` })).statusCode).toBe(404);
    expect((await t.deps.storage.exists(task.start_img_path))).toBe(true);
  });

  it('answers the image-to-video 401 in the contract’s words', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/kling/i2v/5s', payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: '认证错误: Invalid user session', code: 'unauthorized' });
  });
});

describe('rate limit', () => {
  it('limits generation per user', async () => {
    const limited = await createTestApp({ env: { GENERATION_RATE_LIMIT: '2' } });
    try {
      const user = await limited.signUp();
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await limited.app.inject({ method: 'POST', url: '/api/kling/5s', headers: user.auth, payload: { prompt: `fox ${i}` } });
        codes.push(res.statusCode);
      }
      expect(codes).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
