import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { followEvents } from './event-client.js';
import { generate, missedChanges, signUpWithCredits, startInstance, startSimulator } from './instances.js';
import { checkBooks } from './invariants.js';
import { freePort, kill, outputOf, waitFor } from './processes.js';
import { report, FULL } from './scale.js';
import { startSlowProxy, type SlowProxy } from './slow-proxy.js';

/**
 * Two instances on one PostgreSQL behind a slow provider; one gets SIGTERM while its sync pass holds leases and
 * generation requests are in flight. It must exit 0 within SHUTDOWN_TIMEOUT_MS, answer those requests, end its
 * event stream (the client resumes on the other instance with Last-Event-ID), and release its leases, so the other
 * instance takes its tasks before those leases would have run out. Status fetches take longer than the bound, so the stopping
 * pass is cut and its leases matter; submissions take less, so requests in flight finish.
 */
const COUNTS = FULL ? { tasks: 200, inFlight: 40 } : { tasks: 40, inFlight: 10 };
const SHUTDOWN_TIMEOUT_MS = 2_000;
const LEASE_MS = 60_000;
const STATUS_FETCH_MS = 3_000;
const SUBMIT_MS = 800;

let dataDir: string;
let testDb: TestDb;
let simulator: ChildProcess;
let proxy: SlowProxy;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!process.env.DATABASE_URL) return;
  dataDir = await mkdtemp(path.join(tmpdir(), 'sv-chaos-shutdown-'));
  testDb = await createTestDb();
  const simPort = await freePort();
  simulator = await startSimulator(simPort, 1_000);
  proxy = await startSlowProxy(`http://127.0.0.1:${simPort}`, (method) => (method === 'GET' ? STATUS_FETCH_MS : SUBMIT_MS));
});

afterAll(async () => {
  if (!process.env.DATABASE_URL) return;
  await Promise.all([...children, simulator].map((c) => kill(c)));
  await proxy.close();
  await testDb.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(port: number): Promise<ChildProcess> {
  const child = await startInstance(port, {
    DATA_DIR: dataDir,
    ...testDb.env,
    AI302_BASE_URL: proxy.url,
    KLING_BASE_URL: proxy.url,
    SYNC_INTERVAL_MS: '200',
    ARCHIVE_INTERVAL_MS: '200',
    LEASE_MS: String(LEASE_MS),
    PROVIDER_TIMEOUT_MS: '10000',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
  children.push(child);
  return child;
}

/**
 * The unfinished tasks whose sync lease `pid` holds now (lease owners start with host:pid:, jobs/runtime.ts), and
 * when the first of those leases runs out (epoch ms, the database's clock: the same machine's as the test's).
 */
async function leasedBy(pid: number): Promise<{ ids: number[]; firstExpiry: number }> {
  const { rows } = await testDb.db.query<{ task_id: number | string; expires: number | string }>(
    `select task_id, extract(epoch from locked_until) * 1000 as expires from video_generation_task_statuses
      where status in ('pending', 'processing') and locked_until > now() and starts_with(locked_by, $1)`,
    [`${hostname()}:${pid}:`],
  );
  return { ids: rows.map((r) => Number(r.task_id)), firstExpiry: Math.min(...rows.map((r) => Number(r.expires))) };
}

describe.skipIf(!process.env.DATABASE_URL)('graceful shutdown (two instances on one PostgreSQL)', () => {
  it('on SIGTERM answers requests in flight, ends event streams, releases its leases and exits 0 within the bound', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const [a, b] = await Promise.all([start(portA), start(portB)]);
    const baseA = `http://127.0.0.1:${portA}`;
    const baseB = `http://127.0.0.1:${portB}`;
    const token = await signUpWithCredits(baseA, testDb.db, 1_000_000);
    let eventsBase = baseA;
    const events = followEvents(() => eventsBase, token);

    // Tasks submitted over a few seconds, so both instances keep finding due ones; then wait for A to hold leases.
    const submitted: Array<Promise<number>> = [];
    for (let i = 0; i < COUNTS.tasks; i++) {
      submitted.push(generate(baseA, token, `task-${i}`, i));
      await new Promise((r) => setTimeout(r, 4_000 / COUNTS.tasks));
    }
    const submittedStatuses = await Promise.all(submitted);
    await waitFor(async () => (await leasedBy(a.pid!)).ids.length > 0, 30_000, 'instance A to hold leases');

    const inFlight = Array.from({ length: COUNTS.inFlight }, (_, i) => generate(baseA, token, `in-flight-${i}`, i));
    await new Promise((r) => setTimeout(r, 300));
    const { ids: held, firstExpiry } = await leasedBy(a.pid!);
    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const t0 = Date.now();
      a.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
    });
    const sigterm = Date.now();
    eventsBase = baseB;
    a.kill('SIGTERM');
    const inFlightStatuses = await Promise.all(inFlight);
    const exit = await exited;

    // Every task A held is finished, or taken by B, before A's lease on it would have run out.
    const { rows: stillA } = await testDb.db.query<{ n: number }>(
      `select count(*)::int as n from video_generation_task_statuses where locked_until is not null and starts_with(locked_by, $1)`,
      [`${hostname()}:${a.pid}:`],
    );
    // Taken: leased by B (or polled by it since: a recorded poll clears the owner). How soon is B's own pace: its
    // pass leases the next due tasks once its current batch is done (status fetches of 3 s, PROVIDER_CONCURRENCY at
    // a time); what the shutdown owes is that B need not wait for A's leases to run out.
    await waitFor(async () => {
      const { rows } = await testDb.db.query<{ n: number }>(
        `select count(*)::int as n from video_generation_task_statuses
          where task_id = any($1::bigint[]) and status in ('pending', 'processing') and starts_with(coalesce(locked_by, ''), $2)`,
        [held, `${hostname()}:${a.pid}:`],
      );
      return rows[0]!.n === 0;
    }, LEASE_MS, 'the tasks A held to be taken over');
    const takenAt = Date.now();
    const takeoverMs = takenAt - sigterm;

    await waitFor(async () => (await checkBooks(testDb.db)).unfinished === 0, 90_000, 'every task to end');
    // The last changes reach the stream, which B serves now.
    await waitFor(async () => (await missedChanges(testDb.db, events.seen)) === 0, 15_000, 'the stream to catch up').catch(() => undefined);
    const missed = await missedChanges(testDb.db, events.seen);
    await events.stop();
    const books = await checkBooks(testDb.db);
    await kill(b, 'SIGTERM');

    const answered = inFlightStatuses.filter((s) => s === 200).length;
    report('graceful-shutdown', {
      tasks: COUNTS.tasks, submitted_ok: submittedStatuses.filter((s) => s === 200).length, in_flight: COUNTS.inFlight, in_flight_answered: answered,
      leases_held_at_sigterm: held.length, leases_left_after_exit: stillA[0]!.n, exit_code: String(exit.code), exit_ms: exit.ms,
      bound_ms: SHUTDOWN_TIMEOUT_MS, takeover_ms: takeoverMs, lease_ms: LEASE_MS, first_lease_ran_out_in_ms: firstExpiry - sigterm,
      stream_interruptions: events.interruptions(),
      stream_resumes: events.resumes(), changes_missed: missed, completed: books.completed, failed: books.failed, tasks_lost: books.unfinished,
      credits_lost_or_doubled: books.unexplainedBalances + books.badlyCharged + books.badRefunds,
    });
    expect(exit.code, outputOf(a)).toBe(0);
    expect(exit.ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 3_000);
    expect(answered).toBe(COUNTS.inFlight);
    expect(held.length).toBeGreaterThan(0);
    expect(stillA[0]!.n).toBe(0);
    expect(takenAt).toBeLessThan(firstExpiry);
    expect(events.resumes()).toBeGreaterThan(0);
    expect(missed).toBe(0);
    expect(books).toMatchObject({ unfinished: 0, badlyCharged: 0, badRefunds: 0, unexplainedBalances: 0, negativeBalances: 0 });
  });
});
