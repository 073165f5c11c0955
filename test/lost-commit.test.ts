import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../src/db/db.js';
import { findProduct } from '../src/domain/catalog.js';
import { createGenerationTask, type GenerationDeps } from '../src/domain/generation/create-task.js';
import { submitGraceMs } from '../src/domain/generation/submit.js';
import type { GenerationInput } from '../src/domain/generation/request.js';
import { inspectImage } from '../src/domain/image.js';
import { errors } from '../src/errors.js';
import { generationDeps } from '../src/http/routes/generation/generation-deps.js';
import { createTestApp, type TestApp } from './helpers/app.js';
import { pngOf } from './helpers/images.js';
import { balanceOf, ledgerRows, statusOf } from './helpers/lifecycle.js';

/**
 * A generation whose recording statement loses its connection answers 503, yet may have committed its charge and
 * task. The process that sent it settles it in the background: a committed task is submitted within seconds of the
 * database answering, not after the sync pass's grace, so a retry with the Idempotency-Key soon returns it; a
 * statement that never committed leaves no upload behind.
 */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '1000' } });
});
afterAll(async () => t?.close());

const product = findProduct('kling-i2v-5s')!;
const png = pngOf(640, 360);
const input: GenerationInput = { prompt: 'A lighthouse at dusk', negativePrompt: '', cfg: 0.5, aspectRatio: '16:9', image: { bytes: png, info: inspectImage(png)! } };
const unavailable = () => errors.databaseUnavailable(new Error('Connection terminated unexpectedly'));

/**
 * The database as a broken connection shows it: the generation's statement runs (`commits`) or not, and its answer
 * is lost either way; then the next `outage` transactions cannot connect.
 */
function breakingDb(db: Db, options: { commits: boolean; outage: number }): Db {
  let broken = false;
  let outage = options.outage;
  return Object.assign(Object.create(db) as Db, {
    async queryInTransaction(sql: string, params: readonly unknown[], opts: Parameters<Db['queryInTransaction']>[2]) {
      if (broken || !sql.includes('create_charged_task')) return db.queryInTransaction(sql, params, opts);
      broken = true;
      if (options.commits) await db.queryInTransaction(sql, params, opts);
      throw unavailable();
    },
    transaction<T>(fn: Parameters<Db['transaction']>[0], opts?: Parameters<Db['transaction']>[1]): Promise<T> {
      if (broken && outage > 0) {
        outage -= 1;
        return Promise.reject(unavailable());
      }
      return db.transaction(fn, opts) as Promise<T>;
    },
  });
}

describe('a generation whose commit went unanswered', () => {
  it('is submitted once the database answers, and a retry with its key returns it, charged once', async () => {
    const user = await t.signUp();
    const before = await balanceOf(t.deps.db, user.id);
    const real = generationDeps(t.deps, t.deps.logger);
    const deps: GenerationDeps = { ...real, db: breakingDb(t.deps.db, { commits: true, outage: 2 }) };

    await expect(createGenerationTask(deps, user, product, input, 'lost-1')).rejects.toMatchObject({ code: 'database_unavailable' });
    const { rows } = await t.deps.db.query<{ task_id: number }>(`select task_id from idempotency_keys where user_id = $1 and key = 'lost-1'`, [user.id]);
    const taskId = Number(rows[0]!.task_id);
    // Within the grace, before the settling: the first request's outcome is not known yet.
    await expect(createGenerationTask(real, user, product, input, 'lost-1')).rejects.toMatchObject({ code: 'idempotency_in_progress' });

    // Past two failed checks (the database still away) and well inside the grace.
    const row = await vi.waitFor(async () => {
      const status = await statusOf(t.deps.db, taskId);
      expect(status.external_task_id).not.toBeNull();
      return status;
    }, { timeout: submitGraceMs(real) / 4, interval: 200 });
    expect(row).toMatchObject({ status: 'pending', sync_attempts: 0 });

    const retried = await createGenerationTask(real, user, product, input, 'lost-1');
    expect(retried).toMatchObject({ taskId, status: 'pending', externalTaskId: row.external_task_id });
    expect(await ledgerRows(t.deps.db, taskId, 'generation')).toEqual([-product.credits]);
    expect(await balanceOf(t.deps.db, user.id)).toBe(before - product.credits);
    // Its start image was kept: it was sent to the provider, and the sync pass could read it back.
    const image = await t.deps.db.query<{ key: string }>('select start_img_path as key from video_generation_task_definitions where id = $1', [taskId]);
    expect(await t.deps.storage.exists(image.rows[0]!.key)).toBe(true);
    const sent = t.simulator.requests.filter((r) => r.method === 'POST' && JSON.stringify(r.body).includes('A lighthouse at dusk'));
    expect(sent).toHaveLength(1);
  });

  it('that did not commit leaves nothing: no task, no charge, no upload', async () => {
    const user = await t.signUp();
    const before = await balanceOf(t.deps.db, user.id);
    const stored: string[] = [];
    const storage = { ...t.deps.storage, put: (key: string, ...rest: Parameters<typeof t.deps.storage.put> extends [string, ...infer R] ? R : never) => {
      stored.push(key);
      return t.deps.storage.put(key, ...rest);
    } };
    const deps: GenerationDeps = { ...generationDeps(t.deps, t.deps.logger), storage, db: breakingDb(t.deps.db, { commits: false, outage: 0 }) };

    await expect(createGenerationTask(deps, user, product, input, 'lost-2')).rejects.toMatchObject({ code: 'database_unavailable' });
    expect(stored).toHaveLength(1);
    await vi.waitFor(async () => expect(await t.deps.storage.exists(stored[0]!)).toBe(false), { timeout: 15_000, interval: 250 });
    const { rows } = await t.deps.db.query(`select 1 from idempotency_keys where user_id = $1 and key = 'lost-2'`, [user.id]);
    expect(rows).toEqual([]);
    expect(await balanceOf(t.deps.db, user.id)).toBe(before);
  });
});
