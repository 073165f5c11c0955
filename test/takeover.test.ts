import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerOf } from '../src/auth/tokens.js';
import type { Db } from '../src/db/db.js';
import { adoptOriginalRows } from '../src/db/queries/adoption.js';
import { prepareDatabase } from '../src/db/prepare.js';
import { sqlState } from '../src/db/queries/values.js';
import { asService } from '../src/db/scope.js';
import { startSession } from '../src/domain/sessions.js';
import { sessionDepsOf } from '../src/http/routes/auth/respond-with-session.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import type { SubmitRequest, VideoProvider } from '../src/providers/video-provider.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { createTestDb, type TestDb } from './helpers/db.js';
import { pngOf } from './helpers/images.js';
import { makeAllDue } from './helpers/lifecycle.js';
import { buildOriginalSchema, ORIGINAL_ENDPOINT, originalTask, originalUser, type OriginalCredits } from './helpers/original-system.js';

/**
 * `migrate` on a database the original system ran on: its schema from the contract's scripts, its rows as its routes
 * and its SQL status function wrote them, tasks in flight at the providers (the simulator, as the real ones would
 * hold them). Nothing may be lost or change meaning; what was in flight is followed to its end.
 */
let testDb: TestDb;
let t: TestApp;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

const credits: Record<string, OriginalCredits> = {
  alice: { balance: 37, purchased: 50, used: 13, level: 'pro', lastPurchase: '2026-10-01T08:00:00.000Z' },
  bob: { balance: 0, purchased: 10, used: 10 },
  carol: { balance: 5, purchased: 5, used: 0 },
  dave: { balance: 0, purchased: 0, used: 0 },
};
const users: Record<string, string> = {};
const tasks: Record<string, number> = {};

/** A task created at the simulator through the real adapter, as the original created it at the provider. */
async function atProvider(provider: VideoProvider, request: Partial<SubmitRequest>): Promise<string> {
  const { externalTaskId } = await provider.submit({
    kind: 't2v', durationSeconds: 5, highQuality: false, model: 'kling-v1-6', prompt: 'original', negativePrompt: '', cfg: 0.5,
    aspectRatio: '16:9', clientTaskId: `original-${Math.random()}`, ...request,
  });
  return externalTaskId;
}

async function ledgerExplainsEveryBalance(db: Db): Promise<void> {
  const { rows } = await asService(db, (tx) =>
    tx.query<{ user_id: string; balance: number; sum: number | null; last: number | null }>(
      `select uc.user_id, uc.credits_balance as balance, (select sum(delta) from credit_ledger l where l.user_id = uc.user_id)::int as sum,
              (select balance_after from credit_ledger l where l.user_id = uc.user_id order by id desc limit 1) as last
         from user_credits uc`,
    ),
  );
  for (const r of rows) {
    expect(Number(r.sum ?? 0), r.user_id).toBe(Number(r.balance));
    expect(Number(r.last ?? 0), r.user_id).toBe(Number(r.balance));
  }
}

async function creditsOf(userId: string) {
  const { rows } = await t.deps.db.query<{ credits_balance: number; total_credits_purchased: number; total_credits_used: number; level: string }>(
    `select credits_balance, total_credits_purchased, total_credits_used, level from user_credits where user_id = $1`,
    [userId],
  );
  const r = rows[0]!;
  return { balance: Number(r.credits_balance), purchased: Number(r.total_credits_purchased), used: Number(r.total_credits_used), level: r.level };
}

beforeAll(async () => {
  testDb = await createTestDb({ migrated: false });
  await buildOriginalSchema(testDb.db);
  t = await createTestApp({ testDb, simulator: { ai302TaskIds: 'alternating' } });
  const { ai302, kling } = t.deps.providers as Required<typeof t.deps.providers>;
  for (const [name, c] of Object.entries(credits)) users[name] = await originalUser(testDb, c);
  const db = testDb.db;
  const { alice, bob } = users as Record<string, string>;

  // Archived long ago: three status rows, as the original added one per change.
  tasks.archived = await originalTask(db, {
    userId: alice!, taskType: 'video', apiEndpoint: ORIGINAL_ENDPOINT.ai302T2v('5s'), duration: '5s', highQuality: false, credits: 1, prompt: 'archived',
    statuses: [
      { status: 'pending', at: minutesAgo(50) },
      { status: 'processing', externalTaskId: '7001', at: minutesAgo(49) },
      { status: 'completed', externalTaskId: '7001', resultUrl: 'https://media.example.com/videos/a/1-video.mp4', thumbnailUrl: 'https://media.example.com/videos/a/1-thumbnail.jpg', r2Status: 'uploaded', at: minutesAgo(45) },
    ],
  });
  // In flight at 302.ai under both id forms (digits, then kling_…), and at Kling, text and image.
  for (const [name, hq] of [['ai302Digits', false], ['ai302Prefixed', true]] as const) {
    const id = await atProvider(ai302, { model: `m2v_16_txt2video${hq ? '_hq' : ''}_10s`, durationSeconds: 10, highQuality: hq });
    tasks[name] = await originalTask(db, {
      userId: alice!, taskType: 'video', apiEndpoint: ORIGINAL_ENDPOINT.ai302T2v('10s', hq), duration: '10s', highQuality: hq, credits: hq ? 4 : 2, prompt: name,
      statuses: [{ status: 'pending', at: minutesAgo(6) }, { status: 'processing', externalTaskId: id, at: minutesAgo(5) }],
    });
  }
  expect(t.simulator.tasks.size).toBe(2);
  expect([...t.simulator.tasks.keys()].some((id) => /^kling_/.test(id)) && [...t.simulator.tasks.keys()].some((id) => /^\d+$/.test(id))).toBe(true);
  tasks.klingText = await originalTask(db, {
    userId: alice!, taskType: 'video', apiEndpoint: ORIGINAL_ENDPOINT.klingT2v, duration: '5s', highQuality: false, credits: 1, prompt: 'kling text',
    statuses: [{ status: 'submitted', externalTaskId: await atProvider(kling, {}), at: minutesAgo(4) }],
  });
  tasks.klingImage = await originalTask(db, {
    userId: bob!, taskType: 'i2v', apiEndpoint: ORIGINAL_ENDPOINT.klingI2v, duration: '5s', highQuality: true, credits: 4, prompt: 'kling image',
    statuses: [{ status: 'processing', externalTaskId: await atProvider(kling, { kind: 'i2v', highQuality: true, image: { bytes: pngOf(640, 360), contentType: 'image/png' } }), at: minutesAgo(3) }],
  });
  // Finished at the provider, not yet copied: its URL is the provider's, and the original wrote 'succeed'.
  const doneId = await atProvider(ai302, { kind: 'i2v', model: 'm2v_16_img2video_5s', image: { bytes: pngOf(640, 360), contentType: 'image/png' } });
  const done = await ai302.fetchStatus({ kind: 'i2v', externalTaskId: doneId });
  if (done.state !== 'completed') throw new Error(`the simulator's task is ${done.state}`);
  tasks.notArchived = await originalTask(db, {
    userId: alice!, taskType: 'i2v', apiEndpoint: ORIGINAL_ENDPOINT.ai302I2v('5s'), duration: '5s', highQuality: false, credits: 2, prompt: 'not archived',
    statuses: [
      { status: 'processing', externalTaskId: doneId, at: minutesAgo(20) },
      { status: 'succeed', externalTaskId: doneId, resultUrl: done.videoUrl, thumbnailUrl: done.thumbnailUrl ?? undefined, at: minutesAgo(19) },
    ],
  });
  tasks.failed = await originalTask(db, {
    userId: alice!, taskType: 'video', apiEndpoint: ORIGINAL_ENDPOINT.ai302T2v('5s'), duration: '5s', highQuality: false, credits: 1, prompt: 'failed',
    statuses: [{ status: 'error', externalTaskId: '7002', errorMessage: 'content refused', at: minutesAgo(30) }],
  });
  // Charged, never reached the provider, and its image was never kept (the original wrote 'pending' for it).
  tasks.neverSubmitted = await originalTask(db, {
    userId: bob!, taskType: 'i2v', apiEndpoint: ORIGINAL_ENDPOINT.ai302I2v('10s'), duration: '10s', highQuality: false, credits: 3, prompt: 'never submitted',
    statuses: [{ status: 'pending', at: minutesAgo(2) }],
  });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await testDb?.drop();
});

describe('migrate on the original system’s database', () => {
  it('applies every migration, keeping each task’s latest status and the older ones in the history', async () => {
    const { applied, adopted } = await prepareDatabase(testDb.db);
    expect(applied[0]).toBe('0001_supabase_auth_emulation.sql');
    expect(adopted).toEqual({ tasks: Object.keys(tasks).length, users: 3 });
    const statuses = await t.deps.db.query<{ task_id: number; status: string; original_status: string | null }>(
      `select task_id, status, original_status from video_generation_task_statuses order by task_id`,
    );
    expect(statuses.rows).toHaveLength(Object.keys(tasks).length);
    const byTask = new Map(statuses.rows.map((r) => [Number(r.task_id), r]));
    expect(byTask.get(tasks.archived!)).toMatchObject({ status: 'completed', original_status: null });
    expect(byTask.get(tasks.klingText!)).toMatchObject({ status: 'processing', original_status: 'submitted' });
    expect(byTask.get(tasks.notArchived!)).toMatchObject({ status: 'completed', original_status: 'succeed' });
    expect(byTask.get(tasks.failed!)).toMatchObject({ status: 'failed', original_status: 'error' });
    const history = await t.deps.db.query<{ task_id: number; status: string }>(
      `select task_id, status from video_generation_task_status_history order by task_id, created_at`,
    );
    expect(history.rows.map((r) => [Number(r.task_id), r.status])).toEqual([
      [tasks.archived, 'pending'],
      [tasks.archived, 'processing'],
      [tasks.ai302Digits, 'pending'],
      [tasks.ai302Prefixed, 'pending'],
      [tasks.notArchived, 'processing'],
    ]);
  });

  it('keeps every balance and total, and explains each with an opening row and the charges of tasks in flight', async () => {
    for (const [name, c] of Object.entries(credits)) {
      expect(await creditsOf(users[name]!), name).toEqual({ balance: c.balance, purchased: c.purchased, used: c.used, level: c.level ?? 'free' });
    }
    await ledgerExplainsEveryBalance(t.deps.db);
    const { rows } = await t.deps.db.query<{ user_id: string; delta: number; reason: string; task_id: number | null }>(
      `select user_id, delta, reason, task_id from credit_ledger order by id`,
    );
    const of = (name: string) => rows.filter((r) => r.user_id === users[name]).map((r) => [r.reason, Number(r.delta), r.task_id && Number(r.task_id)]);
    expect(of('alice')).toEqual([['opening', 37 + 2 + 4 + 1, null], ['generation', -2, tasks.ai302Digits], ['generation', -4, tasks.ai302Prefixed], ['generation', -1, tasks.klingText]]);
    expect(of('bob')).toEqual([['opening', 0 + 4 + 3, null], ['generation', -4, tasks.klingImage], ['generation', -3, tasks.neverSubmitted]]);
    expect(of('carol')).toEqual([['opening', 5, null]]);
    expect(of('dave')).toEqual([]);
  });

  it('answers the original’s values to its clients', async () => {
    const alice = { id: users.alice!, email: 'alice' };
    const { sessionId } = await startSession(sessionDepsOf(t.deps), alice, { userAgent: null, ip: '127.0.0.1' });
    const token = await issuerOf(t.deps.tokens)(alice, sessionId);
    const res = await t.app.inject({ method: 'GET', url: '/api/user/fetch-creation', headers: { authorization: `Bearer ${token.token}` } });
    expect(res.statusCode).toBe(200);
    const archived = res.json().creations.find((c: { id: number }) => c.id === tasks.archived);
    expect(archived).toMatchObject({
      task_type: 'video', model: 'kling', status: 'completed',
      additional_params: { duration: '5s', api_endpoint: ORIGINAL_ENDPOINT.ai302T2v('5s') },
      result_url: 'https://media.example.com/videos/a/1-video.mp4',
    });
    const credit = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: { authorization: `Bearer ${token.token}` } });
    expect(credit.json()).toMatchObject({ credits_balance: 37, level: 'pro', last_purchase_date: '2026-10-01T08:00:00.000Z' });
  });

  it('follows the tasks in flight to their end at both providers, archives what completed, refunds what cannot be made', async () => {
    for (let i = 0; i < 5; i++) {
      await makeAllDue(t.deps.db, t.clock.now());
      await runSyncOnce(t.deps);
    }
    // Adoption queued the copies at the database's now; the test clock started earlier.
    t.clock.advance(60_000);
    for (let i = 0; i < 3; i++) await runArchiveOnce(t.deps);
    const { rows } = await t.deps.db.query<{ task_id: number; status: string; result_url: string | null; r2_status: string | null; refunded: boolean }>(
      `select task_id, status, result_url, r2_status, refunded from video_generation_task_statuses`,
    );
    const byTask = new Map(rows.map((r) => [Number(r.task_id), r]));
    for (const name of ['ai302Digits', 'ai302Prefixed', 'klingText', 'klingImage', 'notArchived']) {
      expect(byTask.get(tasks[name]!), name).toMatchObject({ status: 'completed', r2_status: 'completed', result_url: expect.stringMatching(/^\/media\/videos\//) });
    }
    expect(byTask.get(tasks.archived!)).toMatchObject({ status: 'completed', result_url: 'https://media.example.com/videos/a/1-video.mp4' });
    expect(byTask.get(tasks.neverSubmitted!)).toMatchObject({ status: 'failed', refunded: true });
    expect((await creditsOf(users.bob!)).balance).toBe(3);
    await ledgerExplainsEveryBalance(t.deps.db);
    const feed = (await t.app.inject({ method: 'GET', url: '/api/videos/latest' })).json<Array<{ id: string }>>().map((v) => Number(v.id));
    expect(feed).toHaveLength(5);
    for (const id of feed) expect(Object.values(tasks)).toContain(id);
  });

  it('is safe to run twice: nothing more to apply or adopt, and the ledger is as it was', async () => {
    const ledger = await t.deps.db.query('select id from credit_ledger');
    expect(await prepareDatabase(testDb.db)).toEqual({ applied: [], adopted: { tasks: 0, users: 0 } });
    expect((await t.deps.db.query('select id from credit_ledger')).rows).toEqual(ledger.rows);
  });

  it('adopts what the original system wrote meanwhile, and refuses the writes that would break a task', async () => {
    const { alice } = users as Record<string, string>;
    const db = testDb.db;
    // The old system, still running: a new task (charged by its own update), and a status row added to an existing task.
    await db.query(`update user_credits set credits_balance = credits_balance - 2, total_credits_used = total_credits_used + 2 where user_id = $1`, [alice]);
    const late = await originalTask(db, {
      userId: alice!, taskType: 'video', apiEndpoint: ORIGINAL_ENDPOINT.ai302T2v('10s'), duration: '10s', highQuality: false, credits: 2, prompt: 'late',
      statuses: [{ status: 'processing', externalTaskId: await atProvider(t.deps.providers.ai302!, { model: 'm2v_16_txt2video_10s', durationSeconds: 10 }), at: minutesAgo(0) }],
    });
    await expect(db.query(`insert into video_generation_task_statuses (task_id, status) values ($1, 'processing')`, [tasks.failed])).rejects.toThrow();
    // Not ours yet: the sync pass leaves it alone.
    await makeAllDue(t.deps.db, t.clock.now());
    expect((await runSyncOnce(t.deps)).map((r) => r.taskId)).not.toContain(late);
    expect(await adoptOriginalRows(db)).toEqual({ tasks: 1, users: 1 });
    await ledgerExplainsEveryBalance(t.deps.db);
    await makeAllDue(t.deps.db, t.clock.now());
    await runSyncOnce(t.deps);
    const { rows } = await t.deps.db.query<{ status: string }>(`select status from video_generation_task_statuses where task_id = $1`, [late]);
    expect(rows[0]!.status).toBe('completed');
  });
});

describe('migrate while the original system still writes', () => {
  it('loses none of its writes, and the next run adopts them all', async () => {
    const other = await createTestDb({ migrated: false });
    try {
      await buildOriginalSchema(other.db);
      const userId = await originalUser(other, { balance: 500, purchased: 500, used: 0 });
      // The old system's create route: charge, then the task with its first status row, in one transaction.
      const writes: number[] = [];
      // A bounded stream of writes, begun with the upgrade: some land before it, some during, some after.
      const oldSystem = (async () => {
        for (let i = 0; i < 40; i++) {
          const write = other.db.transaction(async (tx) => {
            await tx.query(`update user_credits set credits_balance = credits_balance - 1, total_credits_used = total_credits_used + 1 where user_id = $1`, [userId]);
            return originalTask(tx, {
              userId, taskType: 'video', apiEndpoint: ORIGINAL_ENDPOINT.ai302T2v('5s'), duration: '5s', highQuality: false, credits: 1, prompt: `old ${i}`,
              statuses: [{ status: 'processing', externalTaskId: String(9000 + i), at: minutesAgo(1) }],
            });
          });
          // PostgreSQL may abort one side of a lock conflict: a refused write of the old system is rolled back whole.
          const committed = await write.catch((error: unknown) => {
            if (sqlState(error) !== '40P01') throw error;
            return undefined;
          });
          if (committed !== undefined) writes.push(committed);
        }
      })();
      await prepareDatabase(other.db);
      await oldSystem;
      await prepareDatabase(other.db);
      const { rows } = await other.db.query<{ n: number; adopted: number }>(
        `select count(*)::int as n, count(product_id)::int as adopted from video_generation_task_definitions`,
      );
      expect(rows[0]).toEqual({ n: writes.length, adopted: writes.length });
      expect(Number((await other.db.query<{ b: number }>(`select credits_balance as b from user_credits`)).rows[0]!.b)).toBe(500 - writes.length);
      await ledgerExplainsEveryBalance(other.db);
      const charges = await other.db.query(`select 1 from credit_ledger where reason = 'generation'`);
      expect(charges.rows).toHaveLength(writes.length);
    } finally {
      await other.drop();
    }
  });
});
