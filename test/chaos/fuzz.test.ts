import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CATALOG } from '../../src/domain/catalog.js';
import { createTestApp, type TestApp, type TestUser } from '../helpers/app.js';
import { pngOf } from '../helpers/images.js';
import { multipart } from '../helpers/multipart.js';
import { report, SCALE } from './scale.js';

/**
 * Property-based fuzzing of every endpoint's body, query, headers and multipart parts: whatever arrives, the answer
 * is never a 5xx, never shows a stack trace, and a 4xx changes nothing.
 */
let t: TestApp;
let user: TestUser;
let tried = 0;

beforeAll(async () => {
  t = await createTestApp({ env: { GENERATION_RATE_LIMIT: '1000000', AUTH_RATE_LIMIT: '1000000' } });
  user = await t.signUp();
});
afterAll(async () => {
  report('fuzz', { requests_tried: tried });
  await t.close();
});

async function state(): Promise<string> {
  const { rows } = await t.deps.db.query<{ s: string }>(
    `select (select coalesce(sum(credits_balance), 0) from user_credits)::text || '/' ||
            (select count(*) from video_generation_task_definitions)::text || '/' ||
            (select count(*) from credit_ledger)::text || '/' ||
            (select count(*) from user_favorites)::text || '/' ||
            (select count(*) from auth.users)::text as s`,
  );
  return rows[0]!.s;
}

type Injected = Awaited<ReturnType<TestApp['app']['inject']>>;

async function expectSafe(send: () => Promise<Injected>): Promise<void> {
  const before = await state();
  const res = await send();
  tried += 1;
  expect(res.statusCode, res.body).toBeLessThan(500);
  expect(res.body).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  if (res.statusCode >= 400) expect(await state()).toBe(before);
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
/** Control characters, NUL above all: PostgreSQL refuses NUL in text, so one that reached a query was a 500. */
const controlText = fc.string({ unit: fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f).map((c) => String.fromCharCode(c)), minLength: 1 });
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.tuple(fc.string(), controlText, fc.string()).map((parts) => parts.join('')),
  fc.constantFrom('', ' ', '0', '-1', '1e309', 'null', '../..', '%00', '<script>', 'fox\u0000', '\u001b[2J'),
);
const generationBody = fc.oneof(
  jsonValue,
  fc.record(
    {
      prompt: fc.oneof(text, jsonValue),
      negative_prompt: fc.oneof(text, jsonValue),
      cfg: fc.oneof(fc.double(), text, jsonValue),
      aspect_ratio: fc.oneof(fc.constantFrom('16:9', '9:16', '1:1', '4:3'), text),
      camera_type: fc.oneof(fc.constantFrom('simple', 'zoom', 'down_back'), text),
      camera_value: fc.oneof(fc.double(), text),
    },
    { requiredKeys: [] },
  ),
);

it('text-to-video bodies and headers', async () => {
  const routes = CATALOG.filter((p) => p.kind === 't2v').map((p) => p.path);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), generationBody, fc.option(text), fc.boolean(), async (url, body, idempotencyKey, authed) => {
      const headers: Record<string, string> = authed ? { ...user.auth } : { authorization: 'Bearer garbage' };
      if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey.replace(/[\r\n\0]/g, '');
      await expectSafe(() => t.app.inject({ method: 'POST', url, headers, payload: body as object }));
    }),
    { numRuns: SCALE.fuzzRuns },
  );
});

it('image-to-video multipart parts', async () => {
  const routes = CATALOG.filter((p) => p.kind === 'i2v').map((p) => p.path);
  const image = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 2000 })).map(([w, h]) => pngOf(w % 900 + 1, h % 900 + 1)),
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from(a)])),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...routes),
      fc.dictionary(fc.constantFrom('prompt', 'negative_prompt', 'cfg', 'extra', 'input_image'), fc.string({ maxLength: 50 })),
      fc.option(fc.tuple(fc.constantFrom('input_image', 'tail_image', 'other'), image, fc.constantFrom('image/png', 'image/jpeg', 'text/plain', ''))),
      async (url, fields, file) => {
        const files = file ? { [file[0]]: { filename: 'x.png', contentType: file[2] || 'application/octet-stream', data: file[1] } } : {};
        const form = multipart(fields, files);
        await expectSafe(() => t.app.inject({ method: 'POST', url, headers: { ...user.auth, ...form.headers }, payload: form.body }));
      },
    ),
    { numRuns: SCALE.fuzzRuns },
  );
});

it('queries, params and the other bodies', async () => {
  const requests = fc.oneof(
    fc.tuple(fc.constant('GET' as const), fc.constantFrom('/api/user/fetch-creation', '/api/user/credit-history'), fc.dictionary(fc.constantFrom('limit', 'before', 'x'), text)).map(
      ([method, path, query]) => ({ method, url: path, query, payload: undefined }),
    ),
    fc.tuple(fc.constantFrom('GET' as const, 'DELETE' as const), fc.constantFrom('/api/user/tasks/', '/api/user/favorites/'), text).map(([method, path, id]) => ({
      method,
      url: path + encodeURIComponent(id),
      query: {},
      payload: undefined,
    })),
    fc.tuple(fc.constantFrom('/api/user/favorites', '/api/auth/signup', '/api/auth/login', '/api/task/upload-to-r2'), jsonValue).map(([url, payload]) => ({
      method: 'POST' as const,
      url,
      query: {},
      payload,
    })),
  );
  await fc.assert(
    fc.asyncProperty(requests, async (r) => {
      await expectSafe(() => t.app.inject({ method: r.method, url: r.url, query: r.query, headers: user.auth, payload: r.payload as object }));
    }),
    { numRuns: SCALE.fuzzRuns },
  );
});
