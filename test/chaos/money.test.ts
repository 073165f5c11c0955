import { afterAll, beforeAll, expect, it } from 'vitest';
import { setCreditBalance } from '../../src/db/queries/credits.js';
import { CATALOG } from '../../src/domain/catalog.js';
import { createTestApp, type TestApp, type TestUser } from '../helpers/app.js';
import { checkBooks } from './invariants.js';
import { report, SCALE } from './scale.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

it('concurrent generation from many users with random balances: no balance below zero, books exact', async () => {
  const t2v = CATALOG.filter((p) => p.kind === 't2v');
  const users: Array<TestUser & { start: number }> = [];
  for (let i = 0; i < SCALE.users; i++) {
    const user = await t.signUp();
    const start = Math.floor(Math.random() * 15);
    await t.deps.db.transaction((tx) => setCreditBalance(tx, { userId: user.id, balance: start }));
    users.push({ ...user, start });
  }
  const requests = Array.from({ length: SCALE.requests }, (_, i) => {
    const user = users[i % users.length]!;
    const product = t2v[Math.floor(Math.random() * t2v.length)]!;
    return t.app
      .inject({ method: 'POST', url: product.path, headers: user.auth, payload: { prompt: `chaos ${i}` } })
      .then((res) => ({ user, product, status: res.statusCode, code: (res.json() as { code?: string }).code }));
  });
  const results = await Promise.all(requests);
  const accepted = results.filter((r) => r.status === 200);
  // Only acceptances and refusals for want of credits; anything else is named, with its route.
  expect(results.filter((r) => r.status !== 200 && r.status !== 400).map((r) => `${r.status} ${r.code} ${r.product.path}`)).toEqual([]);

  const books = await checkBooks(t.deps.db);
  const debits = (await t.deps.db.query<{ n: number }>(`select count(*)::int as n from credit_ledger where reason = 'generation'`)).rows[0]!.n;
  for (const user of users) {
    const spent = accepted.filter((r) => r.user === user).reduce((sum, r) => sum + r.product.credits, 0);
    const balance = (await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: user.auth })).json().credits_balance;
    expect(balance).toBe(user.start - spent);
  }
  report('money', { requests: results.length, accepted: accepted.length, debits, negative_balances: books.negativeBalances, unexplained_balances: books.unexplainedBalances });
  expect(debits).toBe(accepted.length);
  expect(books).toMatchObject({ unexplainedBalances: 0, negativeBalances: 0, badlyCharged: 0 });
});
