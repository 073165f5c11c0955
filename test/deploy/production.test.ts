import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { greyPng } from '../../src/smoke/png.js';
import { multipart } from '../helpers/multipart.js';
import { startS3rver, type RunningS3rver } from '../helpers/s3rver.js';
import { call, openEvents, type Target } from './support/https-client.js';
import { makeCertificate, startNginx, type RunningNginx } from './support/nginx.js';
import { freePort } from '../chaos/processes.js';
import { run, runToEnd, waitFor, type Running } from './support/processes.js';

/**
 * The production path of docs/deploying.md, run here: the image's build steps (deploy/image/build.sh) on a clean
 * copy of the build context (deploy/image/context.sh), the built output started as the image starts it, configured
 * from deploy/simplevideo.env.example, on PostgreSQL and an S3 store, split into ROLE=api and ROLE=worker, behind
 * Debian's nginx with deploy/nginx/simplevideo.conf over TLS. Providers are the simulator, on its own, as a real
 * provider would be: keys, base URLs, callbacks to PUBLIC_URL through nginx.
 */

const ADMIN_DATABASE_URL = process.env.DEPLOY_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SIM_KEYS = { AI302_API_KEY: 'deploy-302-key', KLING_ACCESS_KEY: 'deploy-access-key', KLING_SECRET_KEY: randomBytes(32).toString('hex') };

let work: string;
let app: string;
let database: string | undefined;
let s3: RunningS3rver | undefined;
let ca: Buffer;
const processes: Running[] = [];
let api: Running;
let untrusted: Running;
let worker: Running;
let edge: RunningNginx;
let edgeOfUntrusted: RunningNginx;
let ports: Record<'api' | 'untrusted' | 'simulator' | 'edgeHttp' | 'edgeHttps' | 'untrustedHttp' | 'untrustedHttps', number>;
let s3PublicUrl: string;

/** The example's values, with what only this machine can supply (addresses, secrets, keys) put in. */
async function productionEnv(overrides: Record<string, string>): Promise<Record<string, string>> {
  const example = parseEnv(await readFile(path.join(PROJECT_ROOT, 'deploy/simplevideo.env.example'), 'utf8'));
  for (const key of Object.keys(overrides)) {
    // The test starts what the example says: anything it sets beyond the example is a test-only knob, listed here.
    const testOnly = ['AI302_BASE_URL', 'KLING_BASE_URL', 'PROVIDER_SIMULATOR', 'ARCHIVE_ALLOW_PRIVATE_HOSTS', 'SYNC_INTERVAL_MS', 'ARCHIVE_INTERVAL_MS', 'S3_FORCE_PATH_STYLE'];
    if (!(key in example) && !testOnly.includes(key)) throw new Error(`${key} is not in deploy/simplevideo.env.example`);
  }
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  for (const [key, value] of Object.entries(example)) if (value !== undefined) env[key] = value;
  return { ...env, ...overrides };
}

function startServer(name: string, env: Record<string, string>): Running {
  const server = run(name, process.execPath, ['dist/src/main.js'], { cwd: app, env });
  processes.push(server);
  return server;
}

async function healthy(port: number): Promise<boolean> {
  const answer = await call({ base: `http://127.0.0.1:${port}` }, 'GET', '/healthz');
  return answer.status === 200;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sv-deploy-'));
  // DEPLOY_TEST_BUILT=<folder>: an output build.sh made before (KEEP_DEPLOY_TEST=1 keeps it), to iterate on the rest.
  app = process.env.DEPLOY_TEST_BUILT ?? path.join(work, 'app');
  if (!process.env.DEPLOY_TEST_BUILT) {
    const buildEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, npm_config_prefer_offline: 'true' };
    await runToEnd('context.sh', 'bash', ['deploy/image/context.sh', PROJECT_ROOT, path.join(work, 'context')], { cwd: PROJECT_ROOT, env: buildEnv });
    await runToEnd('build.sh', 'bash', [path.join(work, 'context/deploy/image/build.sh'), path.join(work, 'context'), app], { cwd: work, env: buildEnv });
  }

  const tls = await makeCertificate(path.join(work, 'tls'));
  ca = await readFile(tls.certificate);
  ports = {
    api: await freePort(),
    untrusted: await freePort(),
    simulator: await freePort(),
    edgeHttp: await freePort(),
    edgeHttps: await freePort(),
    untrustedHttp: await freePort(),
    untrustedHttps: await freePort(),
  };

  database = `simplevideo_deploy_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const databaseUrl = new URL(ADMIN_DATABASE_URL);
  databaseUrl.pathname = `/${database}`;

  s3 = await startS3rver();
  s3PublicUrl = `${s3.endpoint}/${s3.bucket}`;

  // The simulator from the built output, trusting the test's certificate so its callbacks reach nginx over TLS.
  const simulator = run('simulator', process.execPath, ['dist/src/providers/simulator/main.js'], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', PORT: String(ports.simulator), SIMULATOR_DELAY_MS: '1500', NODE_EXTRA_CA_CERTS: tls.certificate, ...SIM_KEYS },
  });
  processes.push(simulator);
  await waitFor('the simulator', [simulator], async () => simulator.output().includes('listening'), 20_000);

  const publicUrl = `https://localhost:${ports.edgeHttps}`;
  const common = {
    PUBLIC_URL: publicUrl,
    DATABASE_URL: databaseUrl.toString(),
    JWT_SECRET: randomBytes(32).toString('hex'),
    CRON_SECRET: randomBytes(32).toString('hex'),
    METRICS_TOKEN: randomBytes(32).toString('hex'),
    ...SIM_KEYS,
    AI302_BASE_URL: `http://127.0.0.1:${ports.simulator}`,
    KLING_BASE_URL: `http://127.0.0.1:${ports.simulator}`,
    // The simulator serves plain http from loopback; a real provider's https results need neither.
    PROVIDER_SIMULATOR: 'true',
    ARCHIVE_ALLOW_PRIVATE_HOSTS: 'true',
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_PUBLIC_URL: s3PublicUrl,
    S3_FORCE_PATH_STYLE: 'true',
  };
  // HTTP only, behind nginx; tasks complete by the providers' callbacks through nginx alone.
  api = startServer('api', await productionEnv({ ...common, ROLE: 'api', PORT: String(ports.api), DATA_DIR: path.join(work, 'data-api') }));
  await waitFor('the api instance to be healthy', [api, simulator], () => healthy(ports.api));
  // The jobs, no HTTP: only the archive loop, so a completion seen here came by callback.
  worker = startServer('worker', await productionEnv({ ...common, ROLE: 'worker', DATA_DIR: path.join(work, 'data-worker'), SYNC_INTERVAL_MS: '0', ARCHIVE_INTERVAL_MS: '300' }));
  // The same service with TRUST_PROXY unset, behind its own nginx: nginx's address is then the client's.
  untrusted = startServer('untrusted', await productionEnv({ ...common, ROLE: 'api', PORT: String(ports.untrusted), TRUST_PROXY: '', DATA_DIR: path.join(work, 'data-untrusted') }));
  await waitFor('the worker and the untrusted instance', [worker, untrusted], async () => /"role":"worker".*"msg":"SimpleVideo/.test(worker.output()) && (await healthy(ports.untrusted)));

  edge = await startNginx('nginx', path.join(work, 'nginx'), { upstreamPort: ports.api, httpPort: ports.edgeHttp, httpsPort: ports.edgeHttps, ...tls }, PROJECT_ROOT);
  processes.push(edge);
  edgeOfUntrusted = await startNginx('nginx (untrusted)', path.join(work, 'nginx-untrusted'), { upstreamPort: ports.untrusted, httpPort: ports.untrustedHttp, httpsPort: ports.untrustedHttps, ...tls }, PROJECT_ROOT);
  processes.push(edgeOfUntrusted);
});

afterAll(async () => {
  for (const p of processes.reverse()) await p.stop(5_000);
  await s3?.close();
  if (database) {
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
  if (work && !process.env.KEEP_DEPLOY_TEST) await rm(work, { recursive: true, force: true });
});

/** The edge: https://localhost:<port> through nginx, trusting the test's certificate, from 127.0.0.2 (not nginx's 127.0.0.1). */
const viaEdge = (): Target => ({ base: `https://localhost:${ports.edgeHttps}`, ca, localAddress: '127.0.0.2' });

async function signUp(target: Target): Promise<{ email: string; password: string; auth: Record<string, string> }> {
  const email = `deploy-${randomBytes(4).toString('hex')}@example.com`;
  const password = randomBytes(12).toString('hex');
  const answer = await call(target, 'POST', '/api/auth/signup', { json: { email, password } });
  expect(answer.status, answer.text()).toBe(201);
  const { access_token: token } = answer.json() as { access_token: string };
  return { email, password, auth: { authorization: `Bearer ${token}` } };
}

describe('the built output, as the image runs it, behind nginx', () => {
  it('passes the image health check, and fails it when nothing answers', async () => {
    const check = (env: Record<string, string>) =>
      run('healthcheck', process.execPath, ['deploy/image/healthcheck.mjs'], { cwd: app, env: { PATH: process.env.PATH ?? '', ...env } }).exited;
    expect(await check({ PORT: String(ports.api), HOST: '127.0.0.1' })).toBe(0);
    expect(await check({ PORT: String(ports.api) })).toBe(0);
    expect(await check({ PORT: String(await freePort()) })).toBe(1);
    expect(await check({ ROLE: 'worker' })).toBe(0);
  });

  it('serves /healthz, the web app and the API through nginx over TLS; plain HTTP redirects', async () => {
    const health = await call(viaEdge(), 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', database: expect.any(String) });

    const page = await call(viaEdge(), 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(page.text())?.[1];
    expect(script, page.text()).toBeDefined();
    const bundle = await call(viaEdge(), 'GET', script!);
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    expect(bundle.headers['strict-transport-security']).toBeDefined();

    const catalog = await call(viaEdge(), 'GET', '/api/catalog');
    expect(catalog.status).toBe(200);
    expect(JSON.stringify(catalog.json())).toContain('/api/kling-official/i2v/hq/5s');

    expect((await call(viaEdge(), 'GET', '/metrics')).status).toBe(404);
    const redirect = await call({ base: `http://127.0.0.1:${ports.edgeHttp}` }, 'GET', '/api/catalog', { headers: { host: 'video.example.com' } });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://video.example.com/api/catalog');
  });

  it('streams task events through nginx as they happen: completed by callback, archived by the worker into S3', async () => {
    const user = await signUp(viaEdge());
    const stream = await openEvents(viaEdge(), '/api/user/events', user.auth);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      await stream.next((b) => b.comment === 'connected', 3_000);

      const created = await call(viaEdge(), 'POST', '/api/kling/5s', { headers: user.auth, json: { prompt: 'A red fox in fresh snow' } });
      expect(created.status, created.text()).toBe(200);
      const createdAt = Date.now();
      const { taskId } = created.json() as { taskId: number };
      const task = (b: { event?: string; data?: string }) => (b.event === 'task' ? (JSON.parse(b.data ?? '{}') as { id: number; status: string; result_url: string | null }) : undefined);

      // The simulator calls back at a third of its 1.5 s and at its end: each change is on the stream within moments.
      const first = await stream.next((b) => task(b)?.id === taskId, 5_000);
      expect(first.at - createdAt).toBeLessThan(3_000);
      await stream.next((b) => task(b)?.status === 'completed', 10_000);
      const archived = await stream.next((b) => task(b)?.result_url?.startsWith(`${s3PublicUrl}/videos/`) === true, 30_000);
      expect(stream.ended()).toBe(false);

      const video = await call({ base: s3PublicUrl }, 'GET', task(archived)!.result_url!);
      expect(video.status).toBe(200);
      const sample = await readFile(path.join(app, 'src/providers/simulator/assets/sample.mp4'));
      expect(video.body.equals(sample)).toBe(true);
      expect(await edge.accessLog()).toMatch(/"POST \/api\/webhooks\/302\/[^ ]+ HTTP\/1\.1" 200/);
    } finally {
      stream.close();
    }
  });

  it('passes an image-to-video upload of two large images through nginx, and refuses one beyond its limit', async () => {
    const user = await signUp(viaEdge());
    const noise = () => Math.floor(Math.random() * 256);
    // Random pixels do not compress: just under the service's 10 MiB, and a second large frame.
    const start = greyPng(3100, 3300, noise);
    const end = greyPng(2600, 3200, noise);
    expect(start.length).toBeGreaterThan(9.5 * 1024 * 1024);
    expect(start.length).toBeLessThan(10 * 1024 * 1024);
    const form = multipart({ prompt: 'The scene comes alive' }, {
      input_image: { filename: 'start.png', contentType: 'image/png', data: start },
      end_image: { filename: 'end.png', contentType: 'image/png', data: end },
    });
    expect(form.body.length).toBeGreaterThan(17 * 1024 * 1024);
    const answer = await call(viaEdge(), 'POST', '/api/kling-official/i2v/hq/5s', { headers: { ...user.auth, ...form.headers }, body: form.body });
    expect(answer.status, answer.text()).toBe(200);
    expect(answer.json()).toMatchObject({ taskId: expect.any(Number) });

    // nginx answers a body announced beyond client_max_body_size itself, before reading it.
    const tooLarge = await call(viaEdge(), 'POST', '/api/kling-official/i2v/hq/5s', {
      headers: { ...user.auth, ...form.headers },
      body: Buffer.alloc(26 * 1024 * 1024),
    });
    expect(tooLarge.status).toBe(413);
  });

  it('takes the client address from nginx only when TRUST_PROXY names nginx, never from the client', async () => {
    const user = await signUp(viaEdge());
    const sessionIp = async (target: Target) => {
      const login = await call(target, 'POST', '/api/auth/login', { headers: { 'x-forwarded-for': '203.0.113.9' }, json: { email: user.email, password: user.password } });
      expect(login.status, login.text()).toBe(200);
      const auth = { authorization: `Bearer ${(login.json() as { access_token: string }).access_token}` };
      const { sessions } = (await call(target, 'GET', '/api/auth/sessions', { headers: auth })).json() as { sessions: Array<{ ip: string | null; current: boolean }> };
      return sessions.find((s) => s.current)?.ip;
    };
    // TRUST_PROXY=loopback (the example's): the address nginx saw, not what the client wrote.
    expect(await sessionIp(viaEdge())).toBe('127.0.0.2');
    // TRUST_PROXY unset: every client is nginx.
    expect(await sessionIp({ base: `https://localhost:${ports.untrustedHttps}`, ca, localAddress: '127.0.0.2' })).toBe('127.0.0.1');
  });

  it('stops on SIGTERM with exit status 0, an event stream open (docker stop, systemctl stop)', async () => {
    const user = await signUp(viaEdge());
    const stream = await openEvents({ base: `http://127.0.0.1:${ports.api}` }, '/api/user/events', user.auth);
    await stream.next((b) => b.comment === 'connected', 3_000);
    expect(await api.stop()).toBe(0);
    expect(await worker.stop()).toBe(0);
    expect(stream.ended()).toBe(true);
  });
});
