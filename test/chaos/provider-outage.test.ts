import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Deps } from '../../src/deps.js';
import { findProduct } from '../../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../../src/jobs/passes.js';
import { createAi302Provider } from '../../src/providers/ai302.js';
import { createKlingProvider } from '../../src/providers/kling.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/providers/simulator/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { createTask, statusOf } from '../helpers/lifecycle.js';
import { checkBooks } from './invariants.js';
import { observeProviders, type ProviderCalls } from './observed-providers.js';
import { report, SCALE } from './scale.js';

/**
 * Both providers go down (the simulator stopped) for most of TASK_TIMEOUT_MS with every task in flight, then come
 * back at the same address with their tasks (its state folder). Tasks must wait with backoff, none fail before the
 * timeout, all complete and be archived once it returns, and the calls in flight to each provider never exceed
 * PROVIDER_CONCURRENCY while the backlog drains. Time is the test clock's; the simulator runs on it too.
 */
const TASKS = SCALE.faultTasks;
const CONCURRENCY = 4;
const TIMEOUT_MS = 60 * 60_000;
const OUTAGE_MS = 40 * 60_000;
const STEP_MS = 30_000;
const LATE_TASKS = 10;
const SIM_KEYS = { ai302ApiKey: 'sim-302-key', klingAccessKey: 'sim-ak', klingSecretKey: 'sim-sk-0123456789abcdef' };

const clock = createTestClock();
let testDb: TestDb;
let stateDir: string;
let t: TestApp;
let simulator: Simulator;
let calls: ProviderCalls;
let deps: Deps;
let port: number;
beforeAll(async () => {
  testDb = await createTestDb();
  stateDir = await mkdtemp(path.join(tmpdir(), 'sv-chaos-sim-'));
  t = await createTestApp({
    clock,
    testDb,
    env: { PROVIDER_CONCURRENCY: String(CONCURRENCY), TASK_TIMEOUT_MS: String(TIMEOUT_MS), SIGNUP_CREDITS: '100000', ARCHIVE_BATCH_SIZE: '500' },
    simulator: simulatorOptions(),
  });
  simulator = t.simulator;
  // The jobs' adapters sign Kling's tokens on the test clock, which the simulator checks them against.
  const now = () => clock.now().getTime();
  const timeoutMs = t.deps.config.PROVIDER_TIMEOUT_MS;
  ({ calls, deps } = observeProviders(t.deps, {
    ai302: createAi302Provider({ apiKey: SIM_KEYS.ai302ApiKey, baseUrl: simulator.url, timeoutMs }),
    kling: createKlingProvider({ accessKey: SIM_KEYS.klingAccessKey, secretKey: SIM_KEYS.klingSecretKey, baseUrl: simulator.url, timeoutMs, now }),
  }));
});
afterAll(async () => {
  // The app's first simulator was stopped by the test; t.close() would stop it twice.
  await simulator?.close().catch(() => undefined);
  await t?.app.close();
  await testDb?.drop();
  await Promise.all([t && rm(t.dataDir, { recursive: true, force: true }), stateDir && rm(stateDir, { recursive: true, force: true })]);
});

function simulatorOptions(): SimulatorOptions {
  // Videos take 10 minutes: every task is still running when the provider goes down.
  return { ...SIM_KEYS, host: '127.0.0.1', delayMs: 10 * 60_000, failureRate: 0, now: () => clock.now().getTime(), stateDir };
}

it('a provider down for most of the timeout: tasks wait with backoff, none fails early, all complete within the bound', async () => {
  const ids = await makeTasks(TASKS);
  const outageStart = await stopProvider();
  let passesDown = 0;
  let failedEarly = 0;
  calls.reset();
  while (clock.now().getTime() - outageStart < OUTAGE_MS) {
    clock.advance(STEP_MS);
    await runSyncOnce(deps);
    passesDown += 1;
    failedEarly += (await checkBooks(t.deps.db)).failed;
  }
  const callsDown = calls.total();
  const attemptsDown = Math.max(...(await rowsOf(ids)).map((row) => row.sync_attempts));

  await restartProvider();
  // Every reply is held a moment, so the backlog's calls overlap as far as the bound lets them.
  simulator.faults.set({ hangRate: 1, hangMs: 100 });
  calls.reset();
  const backStart = clock.now().getTime();
  // The worst case first: the longest backoff over, the whole backlog is due in one pass.
  clock.advance(10 * 60_000);
  let passesBack = 0;
  for (; passesBack < 60; passesBack++) {
    await runSyncOnce(deps);
    await runArchiveOnce(deps);
    const books = await checkBooks(t.deps.db);
    if (books.unfinished === 0 && (await rowsOf(ids)).every((row) => row.r2_status === 'completed')) break;
    clock.advance(STEP_MS);
  }
  simulator.faults.clear();
  const books = await checkBooks(t.deps.db);
  const rows = await rowsOf(ids);

  report('provider-outage', {
    tasks: TASKS, outage_min: OUTAGE_MS / 60_000, timeout_min: TIMEOUT_MS / 60_000, passes_while_down: passesDown, calls_while_down: callsDown,
    max_attempts_per_task: attemptsDown, failed_before_timeout: failedEarly, minutes_to_drain: (clock.now().getTime() - backStart) / 60_000,
    peak_calls_ai302: calls.peak('ai302'), peak_calls_kling: calls.peak('kling'), bound: CONCURRENCY, peak_at_simulator: simulator.peakConcurrentRequests(),
    completed: books.completed, archived: rows.filter((row) => row.r2_status === 'completed').length, failed: books.failed, tasks_lost: books.unfinished,
  });
  expect(failedEarly).toBe(0);
  // Backoff, not a poll every pass: 80 passes, yet each task asked about a dozen times (5 s doubling to 10 min).
  expect(callsDown).toBeLessThan(TASKS * 14);
  expect(books).toMatchObject({ unfinished: 0, failed: 0, completed: TASKS, badRefunds: 0, unexplainedBalances: 0 });
  expect(rows.every((row) => row.r2_status === 'completed')).toBe(true);
  // The bound is reached (the backlog is far larger) and never passed.
  expect([calls.peak('ai302'), calls.peak('kling')]).toEqual([CONCURRENCY, CONCURRENCY]);
  expect(simulator.peakConcurrentRequests()).toBeLessThanOrEqual(2 * CONCURRENCY);
});

it('a provider down past the timeout: its tasks fail with one refund each, none before TASK_TIMEOUT_MS', async () => {
  const before = await checkBooks(t.deps.db);
  const firstCreated = Date.now();
  const ids = await makeTasks(LATE_TASKS);
  await stopProvider();
  let failedEarly = 0;
  let allFailedAtMin = 0;
  while (clock.now().getTime() - firstCreated < TIMEOUT_MS + 20 * 60_000) {
    clock.advance(STEP_MS);
    await runSyncOnce(deps);
    const failed = (await rowsOf(ids)).filter((row) => row.status === 'failed').length;
    if (clock.now().getTime() - firstCreated < TIMEOUT_MS) failedEarly += failed;
    if (failed === LATE_TASKS && allFailedAtMin === 0) allFailedAtMin = Math.round((clock.now().getTime() - firstCreated) / 60_000);
  }
  await restartProvider();
  const rows = await rowsOf(ids);
  const books = await checkBooks(t.deps.db);

  report('provider-outage-past-timeout', {
    tasks: LATE_TASKS, timeout_min: TIMEOUT_MS / 60_000, failed_before_timeout: failedEarly, timed_out_and_refunded: rows.filter((row) => row.timed_out && row.refunded).length,
    all_failed_by_min: allFailedAtMin, bad_refunds: books.badRefunds, tasks_lost: books.unfinished,
  });
  expect(failedEarly).toBe(0);
  expect(rows.every((row) => row.status === 'failed' && row.timed_out && row.refunded)).toBe(true);
  expect(books).toMatchObject({ unfinished: 0, failed: before.failed + LATE_TASKS, badRefunds: 0, unexplainedBalances: 0, negativeBalances: 0 });
});

/** Tasks of both providers, made through the API and followed once, so each is running at the provider. */
async function makeTasks(count: number): Promise<number[]> {
  const user = await t.signUp();
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    // The app's own Kling adapter signs on the real clock: keep the test clock on it while tasks are made.
    clock.set(new Date());
    ids.push(await createTask(t, findProduct(i % 2 ? 'kling-t2v-5s' : 'ai302-t2v-5s')!, user));
  }
  clock.advance(6_000);
  await runSyncOnce(deps);
  for (const row of await rowsOf(ids)) expect(row.status).toBe('processing');
  return ids;
}

/** Stops the simulator (both providers); resolves the test clock's time. */
async function stopProvider(): Promise<number> {
  port = Number(new URL(simulator.url).port);
  await simulator.close();
  return clock.now().getTime();
}

/** The simulator again, at the same address and with the tasks it had. */
async function restartProvider(): Promise<void> {
  simulator = await startSimulator({ ...simulatorOptions(), port });
  expect(simulator.url).toBe(`http://127.0.0.1:${port}`);
}

function rowsOf(ids: number[]) {
  return Promise.all(ids.map((id) => statusOf(t.deps.db, id)));
}
