import { afterAll, beforeAll, expect, it } from 'vitest';
import { setCreditBalance } from '../../src/db/queries/credits.js';
import { CATALOG } from '../../src/domain/catalog.js';
import { runArchiveOnce, runSyncOnce } from '../../src/jobs/passes.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { pngOf } from '../helpers/images.js';
import { multipart } from '../helpers/multipart.js';
import { checkBooks } from './invariants.js';
import { report, SCALE } from './scale.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { PROVIDER_TIMEOUT_MS: '300', PROVIDER_CONCURRENCY: '8' }, simulator: { failureRate: 0.2 } });
});
afterAll(() => t.close());

it('provider faults at 30 %: every task still ends, refunds match the failed tasks exactly', async () => {
  // 500s, hangs past our timeout, 429s, malformed JSON and reset connections, 6 % each, on create and fetch alike.
  t.simulator.faults.set({ status500Rate: 0.06, hangRate: 0.06, status429Rate: 0.06, malformedRate: 0.06, resetRate: 0.06, hangMs: 1_000, retryAfterSeconds: 1 });
  const user = await t.signUp();
  await t.deps.db.transaction((tx) => setCreditBalance(tx, { userId: user.id, balance: 10_000 }));
  const png = pngOf(640, 360);

  const codes: number[] = [];
  for (let i = 0; i < SCALE.faultTasks; i++) {
    const product = CATALOG[i % CATALOG.length]!;
    const res =
      product.kind === 't2v'
        ? await t.app.inject({ method: 'POST', url: product.path, headers: user.auth, payload: { prompt: `fault ${i}` } })
        : await (async () => {
            const form = multipart({ prompt: `fault ${i}` }, { input_image: { filename: 'a.png', contentType: 'image/png', data: png } });
            return t.app.inject({ method: 'POST', url: product.path, headers: { ...user.auth, ...form.headers }, payload: form.body });
          })();
    codes.push(res.statusCode);
  }
  expect(codes.every((c) => c === 200 || c === 502)).toBe(true);

  let passes = 0;
  for (; passes < 200; passes++) {
    const books = await checkBooks(t.deps.db);
    if (books.unfinished === 0) break;
    t.clock.advance(20_000);
    await runSyncOnce(t.deps);
    await runArchiveOnce(t.deps);
  }
  const books = await checkBooks(t.deps.db);
  report('faults', { tasks: SCALE.faultTasks, refused_at_submit: codes.filter((c) => c === 502).length, passes, completed: books.completed, failed: books.failed, tasks_lost: books.unfinished, bad_refunds: books.badRefunds, unexplained_balances: books.unexplainedBalances });
  expect(books).toMatchObject({ unfinished: 0, badRefunds: 0, badlyCharged: 0, unexplainedBalances: 0, negativeBalances: 0 });
  expect(books.completed + books.failed).toBe(SCALE.faultTasks);
});
