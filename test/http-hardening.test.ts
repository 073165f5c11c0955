import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { findProduct } from '../src/domain/catalog.js';
import { createTask } from './helpers/lifecycle.js';

const opened: TestApp[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
});

async function listening(env: Record<string, string>): Promise<{ t: TestApp; base: string; port: number }> {
  const t = await createTestApp({ env });
  opened.push(t);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (t.app.server.address() as AddressInfo).port;
  return { t, base: `http://127.0.0.1:${port}`, port };
}

describe('request deadline', () => {
  it('cuts off a client that trickles its body, long before the body could arrive', async () => {
    const { port } = await listening({ REQUEST_TIMEOUT_MS: '1000' });
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n');
    // One byte every 250 ms: the whole body would take 50 s.
    let sent = 0;
    const trickle = setInterval(() => {
      if (!socket.destroyed && sent < 200) {
        socket.write('{');
        sent += 1;
      }
    }, 250);
    await ended;
    clearInterval(trickle);
    expect(sent).toBeLessThan(200);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('event streams', () => {
  it('caps the streams one user holds (429) and frees a slot when a stream closes', async () => {
    const { t, base } = await listening({ SSE_MAX_STREAMS_PER_USER: '2', SSE_MAX_STREAMS: '3' });
    const [alice, bob, carol] = [await t.signUp(), await t.signUp(), await t.signUp()];
    const open = (user: typeof alice) => {
      const controller = new AbortController();
      return fetch(`${base}/api/user/events`, { headers: user.auth, signal: controller.signal }).then((res) => ({ res, close: () => controller.abort() }));
    };
    const a1 = await open(alice);
    const a2 = await open(alice);
    expect([a1.res.status, a2.res.status]).toEqual([200, 200]);
    const a3 = await open(alice);
    expect(a3.res.status).toBe(429);
    expect(await a3.res.json()).toMatchObject({ code: 'too_many_streams', error: 'Too many event streams open for this account; close one first' });
    const b1 = await open(bob);
    expect(b1.res.status).toBe(200);
    // The server's cap: three streams are open.
    const c1 = await open(carol);
    expect(c1.res.status).toBe(429);
    expect(await c1.res.json()).toMatchObject({ code: 'too_many_streams', error: 'Too many event streams open; try again later' });
    a1.close();
    // The server sees the stream close a moment later.
    let again = await open(carol);
    for (let i = 0; i < 50 && again.res.status === 429; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await open(carol);
    }
    expect(again.res.status).toBe(200);
    for (const s of [a2, b1, again]) s.close();
  });
});

describe('/metrics', () => {
  it('is closed by METRICS_TOKEN and reads task counts at most once per METRICS_TASKS_CACHE_MS', async () => {
    const { t, base } = await listening({ METRICS_TOKEN: 'metrics-token-0123456789', METRICS_TASKS_CACHE_MS: '3600000' });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const scrape = async () => {
      const res = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(res.status).toBe(200);
      return res.text();
    };
    const pending = (text: string) => Number(/simplevideo_tasks\{status="pending"\} (\d+)/.exec(text)?.[1] ?? 0);
    const user = await t.signUp();
    const product = findProduct('ai302-t2v-5s')!;
    await createTask(t, product, user);
    const first = await scrape();
    expect(pending(first)).toBe(1);
    expect(first).toMatch(/process_resident_memory_bytes \d+/);
    await createTask(t, product, user);
    // Cached: the second task is not counted until the cache expires.
    expect(pending(await scrape())).toBe(1);
  });
});

describe('security headers', () => {
  it('sends nosniff, a referrer policy, frame protection and a CSP of our own origin, HSTS in production only', async () => {
    const { base } = await listening({});
    const res = await fetch(`${base}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    const csp = Object.fromEntries((res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name, values.join(' ')];
    }));
    expect(csp).toMatchObject({ 'default-src': "'self'", 'script-src': "'self'", 'style-src': "'self'", 'object-src': "'none'", 'frame-ancestors': "'none'", 'connect-src': "'self'" });
    expect(csp['media-src']).toContain("'self'");
  });
});

describe('request ids', () => {
  it('keeps a short safe x-request-id and replaces anything else with its own', async () => {
    const { base } = await listening({});
    const idOf = async (given?: string) =>
      (await fetch(`${base}/healthz`, { headers: given === undefined ? {} : { 'x-request-id': given } })).headers.get('x-request-id');
    expect(await idOf('trace-1234.abc:9')).toBe('trace-1234.abc:9');
    for (const bad of ['x'.repeat(65), 'has space', 'semi;colon', '"quoted"', 'ünïcode']) {
      const id = await idOf(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
