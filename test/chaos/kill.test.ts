import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import type { Db } from '../../src/db/db.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { checkBooks } from './invariants.js';
import { freePort, kill, outputOf, spawnTs, waitFor } from './processes.js';
import { report, SCALE } from './scale.js';

/**
 * The server is killed with SIGKILL at a random moment while tasks are in flight, then started again, round after
 * round. The provider simulator runs as its own process, as a real provider would, and survives the kills.
 */
const SIM_KEYS = { AI302_API_KEY: 'chaos-302-key', KLING_ACCESS_KEY: 'chaos-ak', KLING_SECRET_KEY: 'chaos-sk-0123456789' };
const ASSETS = path.resolve('src/providers/simulator/assets');

let dataDir: string;
let testDb: TestDb | undefined;
let simulator: ChildProcess;
let simulatorUrl: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sv-chaos-'));
  if (process.env.DATABASE_URL) testDb = await createTestDb();
  const port = await freePort();
  simulatorUrl = `http://127.0.0.1:${port}`;
  simulator = spawnTs('src/providers/simulator/main.ts', { PORT: String(port), SIMULATOR_DELAY_MS: '400', ...SIM_KEYS });
  await waitFor(async () => (await fetch(`${simulatorUrl}/files/large/1.mp4`)).ok, 30_000, 'the simulator');
});

afterAll(async () => {
  await Promise.all([...children, simulator].map((c) => kill(c)));
  if (testDb) await testDb.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function startServer(port: number): Promise<ChildProcess> {
  const server = spawnTs('src/main.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    ...testDb?.env,
    JWT_SECRET: 'chaos-secret-chaos-secret-chaos-secret',
    LOG_LEVEL: 'warn',
    AI302_BASE_URL: simulatorUrl,
    KLING_BASE_URL: simulatorUrl,
    ...SIM_KEYS,
    SYNC_INTERVAL_MS: '200',
    ARCHIVE_INTERVAL_MS: '200',
    LEASE_MS: '2000',
    PROVIDER_TIMEOUT_MS: '2000',
    GENERATION_RATE_LIMIT: '100000',
    AUTH_RATE_LIMIT: '100000',
    SIGNUP_RATE_LIMIT: '100000',
    // The test reads the task counts from /metrics as they are.
    METRICS_TASKS_CACHE_MS: '0',
  });
  children.push(server);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000, `the server (${outputOf(server)})`);
  return server;
}

/** Opens the database the server used, once it is down (the embedded one is one process's). */
async function openBooks(): Promise<Db> {
  return openDatabase({ databaseUrl: testDb?.url, dataDir, poolSize: 2 });
}

it('survives SIGKILL at random moments with tasks in flight: every task ends, nothing charged twice, no half-written file', async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startServer(port);
  const signup = await fetch(`${base}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `chaos-${randomUUID()}@example.com`, password: 'chaos password' }) });
  const token = (await signup.json()).access_token as string;
  await kill(server);

  // Enough credits for every round, granted while the server is down.
  const db = await openBooks();
  await db.query(`update user_credits set credits_balance = credits_balance + 100000, total_credits_purchased = total_credits_purchased + 100000`);
  await db.query(`insert into credit_ledger (user_id, delta, reason, balance_after) select user_id, 100000, 'grant', credits_balance from user_credits`);
  await db.close();

  let requestsTried = 0;
  let accepted = 0;
  for (let round = 0; round < SCALE.killRounds; round++) {
    server = await startServer(port);
    const inFlight = Array.from({ length: SCALE.tasksPerRound }, (_, i) =>
      fetch(`${base}/api/kling${i % 2 ? '-official' : ''}/5s`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `r${round}-${i}` },
        body: JSON.stringify({ prompt: `round ${round} task ${i}` }),
      }).then((res) => res.status, () => 0),
    );
    requestsTried += inFlight.length;
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 3000));
    await kill(server);
    const statuses = await Promise.all(inFlight);
    accepted += statuses.filter((s) => s === 200).length;
  }

  // A last run, left alone until every task has ended and been archived.
  server = await startServer(port);
  await waitFor(async () => {
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    return !/simplevideo_tasks\{status="(pending|processing)"\}/.test(text);
  }, 120_000, 'every task to end');
  // The newest tasks are copied last, at the archive pass's pace (ARCHIVE_BATCH_SIZE a pass): the bound grows with
  // the tasks to copy (the full form's 4,000 took longer than a fixed minute on two cores).
  await waitFor(async () => {
    const page = await fetch(`${base}/api/user/fetch-creation?limit=100`, { headers: { authorization: `Bearer ${token}` } });
    const { creations } = (await page.json()) as { creations: Array<{ status: string; result_url: string | null }> };
    return creations.every((c) => c.status !== 'completed' || c.result_url?.startsWith('/media/'));
  }, 60_000 + accepted * 50, 'completed tasks to be archived');
  await kill(server, 'SIGTERM');

  const books = await (async () => {
    const db = await openBooks();
    try {
      return await checkBooks(db);
    } finally {
      await db.close();
    }
  })();

  // Every visible archived file is whole: a video is the bytes the provider served, never a prefix; a thumbnail
  // (the provider's, or one ffmpeg made for a Kling video) is a complete JPEG.
  const video = await readFile(path.join(ASSETS, 'sample.mp4'));
  const videosDir = path.join(dataDir, 'media', 'videos');
  const files = (await readdir(videosDir, { recursive: true }).catch(() => [])).map(String);
  let halfWritten = 0;
  for (const file of files) {
    const info = await stat(path.join(videosDir, file));
    if (!info.isFile()) continue;
    const bytes = await readFile(path.join(videosDir, file));
    const whole = file.endsWith('.mp4')
      ? bytes.equals(video)
      : file.endsWith('.jpg') && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9;
    if (!whole) halfWritten += 1;
  }

  report('kill', { rounds: SCALE.killRounds, requests_tried: requestsTried, accepted, kills_survived: SCALE.killRounds, completed: books.completed, failed: books.failed, tasks_lost: books.unfinished, credits_lost_or_doubled: books.unexplainedBalances + books.badlyCharged + books.badRefunds, half_written_files: halfWritten });
  expect(books).toMatchObject({ unfinished: 0, badlyCharged: 0, badRefunds: 0, unexplainedBalances: 0, negativeBalances: 0 });
  expect(books.completed + books.failed).toBeGreaterThanOrEqual(accepted);
  expect(halfWritten).toBe(0);
});
