import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/db.js';
import { followEvents } from './event-client.js';
import { generate, missedChanges, signUpWithCredits, startInstance, startSimulator } from './instances.js';
import { checkBooks } from './invariants.js';
import { freePort, kill, outputOf, waitFor } from './processes.js';
import { FULL, report } from './scale.js';

/**
 * Three instances on one PostgreSQL behind HAProxy (Debian's haproxy, started here); one of them is killed with
 * SIGKILL and started again on its port every few seconds, under generation and event-stream load. Clients retry
 * a failed generation with the same Idempotency-Key; the event stream comes back through HAProxy with
 * Last-Event-ID. Every accepted task must end, the books balance, and the stream's last word on each task must be
 * the database's.
 */
const HAPROXY = '/usr/sbin/haproxy';
/** Each worker sends one generation every `paceMs` (retries aside) for as long as the kills go on. */
const COUNTS = FULL ? { kills: 15, workers: 8, paceMs: 500 } : { kills: 3, workers: 3, paceMs: 1_000 };
const KILL_EVERY_MS = 4_000;
/** How long a client keeps retrying one generation before it counts as not reaching a live instance. */
const CLIENT_DEADLINE_MS = 60_000;
const RETRYABLE = new Set([0, 409, 502, 503, 504]);

let dataDir: string;
let testDb: TestDb;
let simulator: ChildProcess;
let simulatorUrl: string;
let haproxy: ChildProcess | undefined;
const instances = new Map<number, ChildProcess>();

/** Health checks every 300 ms, out at the first failure; a client connection refused is retried on another server. */
function haproxyConfig(frontPort: number, ports: number[]): string {
  return `global
  maxconn 2000
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # An event stream is a long response: it stays open as long as heartbeats flow, and as a tunnel.
  timeout tunnel 1h
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response
frontend front
  bind 127.0.0.1:${frontPort}
  default_backend instances
backend instances
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 300 fastinter 300 downinter 300 fall 1 rise 1
${ports.map((port, i) => `  server s${i + 1} 127.0.0.1:${port} check`).join('\n')}
`;
}

beforeAll(async () => {
  if (!process.env.DATABASE_URL || !existsSync(HAPROXY)) return;
  dataDir = await mkdtemp(path.join(tmpdir(), 'sv-chaos-lb-'));
  testDb = await createTestDb();
  const simPort = await freePort();
  simulatorUrl = `http://127.0.0.1:${simPort}`;
  simulator = await startSimulator(simPort, 1_000);
});

afterAll(async () => {
  if (!process.env.DATABASE_URL || !existsSync(HAPROXY)) return;
  await Promise.all([...instances.values(), simulator, ...(haproxy ? [haproxy] : [])].map((c) => kill(c)));
  await testDb.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(port: number): Promise<void> {
  instances.set(port, await startInstance(port, {
    DATA_DIR: dataDir,
    ...testDb.env,
    AI302_BASE_URL: simulatorUrl,
    KLING_BASE_URL: simulatorUrl,
    SYNC_INTERVAL_MS: '200',
    ARCHIVE_INTERVAL_MS: '200',
    LEASE_MS: '3000',
    PROVIDER_TIMEOUT_MS: '2000',
    SSE_HEARTBEAT_MS: '5000',
  }));
}

/** One generation as a careful client makes it: the same Idempotency-Key until an answer that is not a failure. */
async function generateWithRetries(base: string, token: string, key: string, i: number, tally: { retries: number }): Promise<number> {
  const deadline = Date.now() + CLIENT_DEADLINE_MS;
  for (;;) {
    const status = await generate(base, token, key, i);
    if (!RETRYABLE.has(status) || Date.now() > deadline) return status;
    tally.retries += 1;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!process.env.DATABASE_URL || !existsSync(HAPROXY))('three instances behind HAProxy, one killed and restarted again and again', () => {
  it('keeps clients on live instances, resumes event streams, loses no task and no credit', async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    await Promise.all(ports.map((port) => start(port)));
    const frontPort = await freePort();
    const config = path.join(dataDir, 'haproxy.cfg');
    await writeFile(config, haproxyConfig(frontPort, ports));
    const proxy = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy = proxy;
    const base = `http://127.0.0.1:${frontPort}`;
    await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 15_000, 'HAProxy');

    const token = await signUpWithCredits(base, testDb.db, 10_000_000);
    const events = followEvents(() => base, token);
    const tally = { retries: 0 };
    const statuses: number[] = [];
    let loadOn = true;
    let next = 0;
    const workers = Array.from({ length: COUNTS.workers }, async () => {
      while (loadOn) {
        const i = next++;
        const paced = new Promise((r) => setTimeout(r, COUNTS.paceMs));
        statuses.push(await generateWithRetries(base, token, `lb-${i}`, i, tally));
        await paced;
      }
    });

    let kills = 0;
    let restartMs = 0;
    for (; kills < COUNTS.kills; kills++) {
      await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
      const port = ports[kills % ports.length]!;
      await kill(instances.get(port)!);
      const t0 = Date.now();
      await start(port);
      restartMs = Math.max(restartMs, Date.now() - t0);
    }
    loadOn = false;
    await Promise.all(workers);

    await waitFor(async () => (await checkBooks(testDb.db)).unfinished === 0, 120_000, 'every task to end');
    await waitFor(async () => (await missedChanges(testDb.db, events.seen)) === 0, 20_000, 'the stream to catch up').catch(() => undefined);
    const missed = await missedChanges(testDb.db, events.seen);
    await events.stop();
    const books = await checkBooks(testDb.db);

    const accepted = statuses.filter((s) => s === 200).length;
    const unreached = statuses.filter((s) => RETRYABLE.has(s)).length;
    report('load-balancer', {
      instances: ports.length, kills, max_restart_ms: restartMs, requests: statuses.length, accepted, client_retries: tally.retries,
      never_reached_live_instance: unreached, other_answers: statuses.length - accepted - unreached, stream_interruptions: events.interruptions(),
      stream_resumes: events.resumes(), changes_missed: missed, completed: books.completed, failed: books.failed, tasks_lost: books.unfinished,
      credits_lost_or_doubled: books.unexplainedBalances + books.badlyCharged + books.badRefunds,
    });
    expect(unreached, outputOf(proxy)).toBe(0);
    expect(accepted).toBe(statuses.length);
    expect(missed).toBe(0);
    expect(books).toMatchObject({ unfinished: 0, badlyCharged: 0, badRefunds: 0, unexplainedBalances: 0, negativeBalances: 0 });
    expect(books.completed + books.failed).toBe(accepted);
  });
});
