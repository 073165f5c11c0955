import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asService } from '../src/db/scope.js';
import { createAccountGate } from '../src/domain/account-gate.js';
import { findProduct } from '../src/domain/catalog.js';
import { TASK_TYPE_OF_KIND } from '../src/domain/sync/task-ref.js';
import { runArchiveOnce, runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { balanceOf, createTask, fileKeysOf, ledgerRows, statusOf } from './helpers/lifecycle.js';

let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '20' } });
  user = await t.signUp();
});
afterAll(() => t?.close());

/**
 * A task written around our server (by hand, or by an older version that let user roles write tasks), as the
 * REST API attack did: a definition and a pending status, with `charge` credits in the ledger or none.
 */
async function taskWrittenAroundTheServer(productId: string, charge: number | null): Promise<number> {
  const product = findProduct(productId)!;
  return asService(t.deps.db, async (tx) => {
    const { rows } = await tx.query<{ id: number }>(
      `insert into video_generation_task_definitions (user_id, product_id, task_type, model, prompt, credits, high_quality, additional_params)
       values ($1, $2, $3, 'kling', 'free video please', $4, $5, $6) returning id`,
      [user.id, product.id, TASK_TYPE_OF_KIND[product.kind], charge ?? 0, product.highQuality, JSON.stringify({ duration: `${product.durationSeconds}s` })],
    );
    const taskId = Number(rows[0]!.id);
    await tx.query(`insert into video_generation_task_statuses (task_id, status, provider, next_attempt_at) values ($1, 'pending', $2, now() - interval '1 hour')`, [taskId, product.provider]);
    if (charge !== null) {
      await tx.query(`update user_credits set credits_balance = credits_balance - $2::int where user_id = $1`, [user.id, charge]);
      await tx.query(
        `insert into credit_ledger (user_id, delta, reason, task_id, balance_after)
         select $1, -($2::int), 'generation', $3, credits_balance from user_credits where user_id = $1`,
        [user.id, charge, taskId],
      );
    }
    return taskId;
  });
}

describe('the sync pass submits only paid work', () => {
  it.each<[string, string, number | null]>([
    ['no charge at all', 'ai302-t2v-hq-10s', null],
    ['an HQ 10 s task charged 1 credit', 'ai302-t2v-hq-10s', 1],
    ['a Kling HQ image task charged the text price', 'kling-i2v-hq-10s', 4],
  ])('%s: failed with a clear reason, never sent to the provider, any charge refunded', async (_name, productId, charge) => {
    const before = await balanceOf(t.deps.db, user.id);
    const taskId = await taskWrittenAroundTheServer(productId, charge);
    const sent = t.simulator.requests.length;
    t.clock.advance(120_000);
    const results = (await runSyncOnce(t.deps)).filter((r) => r.taskId === taskId);
    expect(results).toMatchObject([{ taskId, newStatus: 'failed', error: 'The task was not paid for at its price, so it was not submitted' }]);
    expect(t.simulator.requests.slice(sent).filter((r) => r.method === 'POST')).toEqual([]);
    expect(await statusOf(t.deps.db, taskId)).toMatchObject({ status: 'failed', external_task_id: null });
    expect(await ledgerRows(t.deps.db, taskId, 'refund')).toEqual(charge === null ? [] : [charge]);
    expect(await balanceOf(t.deps.db, user.id)).toBe(before);
  });

  it('a task paid at its price through our API is still recovered and submitted', async () => {
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    await t.deps.db.query(`update video_generation_task_statuses set external_task_id = null, status = 'pending', next_attempt_at = now() - interval '1 hour' where task_id = $1`, [taskId]);
    t.clock.advance(120_000);
    expect((await runSyncOnce(t.deps)).filter((r) => r.taskId === taskId)).toMatchObject([{ taskId, success: true, newStatus: 'pending' }]);
    expect((await statusOf(t.deps.db, taskId)).external_task_id).not.toBeNull();
  });
});

describe('a task its owner deleted', () => {
  it('loses its files at a later archive pass, once an archive copy of that moment would have ended', async () => {
    const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
    t.clock.advance(6_000);
    await runSyncOnce(t.deps);
    await runArchiveOnce(t.deps);
    const keys = (await fileKeysOf(t.deps.db, taskId))!;
    expect(await t.deps.storage.exists(keys.video)).toBe(true);

    await t.deps.db.transaction(async (tx) => {
      await tx.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: user.id, role: 'authenticated' })]);
      expect((await tx.query('delete from video_generation_task_definitions where id = $1', [taskId])).rowCount).toBe(1);
    });
    await runArchiveOnce(t.deps);
    expect(await t.deps.storage.exists(keys.video)).toBe(true);
    // Queued on the database's clock: move the entry back past an archive lease.
    await t.deps.db.query(`update deleted_task_files set deleted_at = deleted_at - make_interval(secs => $2) where task_id = $1`, [taskId, t.deps.config.LEASE_MS / 1000 + 1]);
    await runArchiveOnce(t.deps);
    expect(await t.deps.storage.exists(keys.video)).toBe(false);
    expect(await t.deps.storage.exists(keys.thumbnail)).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: `/media/${keys.video}` })).statusCode).toBe(404);
    expect((await t.deps.db.query('select 1 from deleted_task_files where task_id = $1', [taskId])).rowCount).toBe(0);
    expect(await fileKeysOf(t.deps.db, taskId)).toBeUndefined();
  });
});

describe('the account gate', () => {
  /** A user made outside our signup (Supabase Auth, an operator): in auth.users, with no credit account. */
  async function userMadeElsewhere(): Promise<{ id: string; email: string }> {
    const id = randomUUID();
    const email = `${id}@elsewhere.example`;
    await t.deps.db.query(`insert into auth.users (id, email) values ($1, $2)`, [id, email]);
    return { id, email };
  }

  it('opens exactly one credit account with the signup credits, whatever the concurrency', async () => {
    const someone = await userMadeElsewhere();
    const gates = Array.from({ length: 4 }, () => createAccountGate({ db: t.deps.db, clock: t.clock, signupCredits: 7 }));
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => gates[i % 4]!(someone)));
    expect(answers.every(Boolean)).toBe(true);
    const { rows } = await t.deps.db.query<{ balance: number; ledger: number }>(
      `select (select credits_balance from user_credits where user_id = $1) as balance,
              (select count(*)::int from credit_ledger where user_id = $1 and reason = 'signup') as ledger`,
      [someone.id],
    );
    expect(rows).toEqual([{ balance: 7, ledger: 1 }]);
  });

  it('refuses a user who is not in auth.users, and opens nothing', async () => {
    const gate = createAccountGate({ db: t.deps.db, clock: t.clock, signupCredits: 7 });
    const ghost = { id: randomUUID(), email: 'ghost@example.com' };
    expect(await gate(ghost)).toBe(false);
    expect((await t.deps.db.query('select 1 from user_credits where user_id = $1', [ghost.id])).rowCount).toBe(0);
  });

  it('leaves an account it finds alone', async () => {
    const gate = createAccountGate({ db: t.deps.db, clock: t.clock, signupCredits: 7 });
    const before = await balanceOf(t.deps.db, user.id);
    expect(await gate(user)).toBe(true);
    expect(await balanceOf(t.deps.db, user.id)).toBe(before);
  });
});
