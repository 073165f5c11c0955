import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../../src/clock.js';
import { createPasswordHasher } from '../../src/auth/password.js';
import { createGates, createMailer, createTokens } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { buildApp } from '../../src/http/app.js';
import type { App } from '../../src/http/types.js';
import type { MailOutbox } from '../../src/mail/outbox.js';
import { createAi302Provider } from '../../src/providers/ai302.js';
import { createKlingProvider } from '../../src/providers/kling.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/providers/simulator/index.js';
import { createLocalStorage } from '../../src/storage/local.js';
import { createTestClock, type TestClock } from './clock.js';
import { createTestDb, type TestDb } from './db.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
const SIM_KEYS = { ai302ApiKey: 'sim-302-key', klingAccessKey: 'sim-ak', klingSecretKey: 'sim-sk-0123456789abcdef' };

export interface TestApp {
  app: App;
  deps: Deps;
  testDb: TestDb;
  simulator: Simulator;
  clock: TestClock;
  dataDir: string;
  mediaRoot: string;
  /** The development outbox in `dataDir`, the mail driver unless the env sets SMTP_URL (then undefined). */
  mailOutbox?: MailOutbox;
  /** Signs a new user up through the API; returns its id, token and auth header. */
  signUp(email?: string): Promise<TestUser>;
  close(): Promise<void>;
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
  auth: { authorization: string };
}

let userCounter = 0;

/**
 * The real application on a fresh database of its own, a temporary storage folder and the provider simulator on
 * a loopback port, reached by the real adapters over HTTP. Mail goes to the development outbox in the temporary
 * DATA_DIR, or to a mail server when the env sets SMTP_URL (test/helpers/smtp-server.ts starts one). Nothing is mocked.
 */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    simulator?: Partial<SimulatorOptions>;
    clock?: TestClock;
    testDb?: TestDb;
  } = {},
): Promise<TestApp> {
  const clock = options.clock ?? createTestClock();
  const testDb = options.testDb ?? (await createTestDb());
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sv-test-'));
  const mediaRoot = path.join(dataDir, 'media');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    LOG_LEVEL: 'silent',
    SIGNUP_CREDITS: '10',
    PROVIDER_TIMEOUT_MS: '5000',
    AUTH_RATE_LIMIT: '1000',
    SIGNUP_RATE_LIMIT: '1000000',
    GENERATION_RATE_LIMIT: '100000',
    ...options.env,
  });
  const logger = pino({ level: 'silent' });
  const { mailer, mailOutbox } = createMailer(config, clock, logger);
  const simulator = await startSimulator({ host: '127.0.0.1', delayMs: 0, failureRate: 0, ...SIM_KEYS, ...options.simulator });
  // As in production: our own accounts' tokens, or Supabase Auth's when the env sets SUPABASE_URL.
  const tokens = await createTokens(config);
  const deps: Deps = {
    config,
    db: testDb.db,
    tokens,
    passwords: createPasswordHasher({ concurrency: config.PASSWORD_HASH_CONCURRENCY, maxWaiting: 64 }),
    providers: {
      ai302: createAi302Provider({ apiKey: SIM_KEYS.ai302ApiKey, baseUrl: simulator.url, timeoutMs: config.PROVIDER_TIMEOUT_MS }),
      kling: createKlingProvider({ accessKey: SIM_KEYS.klingAccessKey, secretKey: SIM_KEYS.klingSecretKey, baseUrl: simulator.url, timeoutMs: config.PROVIDER_TIMEOUT_MS }),
    },
    storage: createLocalStorage({ root: mediaRoot, publicBaseUrl: '' }),
    mailer,
    clock: clock satisfies Clock,
    logger,
    ...createGates({ db: testDb.db, clock, config, tokens }),
  };
  const app = await buildApp(deps, { mediaRoot, mailOutbox });
  await app.ready();

  return {
    app,
    deps,
    testDb,
    simulator,
    clock,
    dataDir,
    mediaRoot,
    mailOutbox,
    async signUp(email = `user${++userCounter}-${Date.now()}@example.com`) {
      const res = await app.inject({ method: 'POST', url: '/api/auth/signup', payload: { email, password: 'correct horse battery' } });
      if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
      const body = res.json<{ user: { id: string; email: string }; access_token: string }>();
      return { id: body.user.id, email: body.user.email, token: body.access_token, auth: { authorization: `Bearer ${body.access_token}` } };
    },
    async close() {
      await app.close();
      await simulator.close();
      if (!options.testDb) await testDb.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
