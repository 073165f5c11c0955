import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.js';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { SIGNUP_CREDITS: '10' } });
});
afterAll(() => t.close());

const credits = async (auth: Record<string, string>) =>
  (await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: auth })).json<{ credits_balance: number; total_credits_purchased: number }>();

it('a new account’s credits are not a purchase; migration 0018 takes them out of older accounts’ purchased totals', async () => {
  const fresh = await t.signUp();
  expect(await credits(fresh.auth)).toMatchObject({ credits_balance: 10, total_credits_purchased: 0 });

  // Accounts opened before 0018 counted the gift as bought; one also bought 50 since.
  const [gifted, buyer] = [await t.signUp(), await t.signUp()];
  await t.deps.db.query(`update user_credits set total_credits_purchased = 10 where user_id = $1`, [gifted.id]);
  await t.deps.db.query(`update user_credits set total_credits_purchased = 60, credits_balance = 60 where user_id = $1`, [buyer.id]);
  await t.deps.db.query(`delete from schema_migrations where name = '0018_signup_credits_are_not_purchases.sql'`);
  expect(await migrate(t.deps.db)).toEqual(['0018_signup_credits_are_not_purchases.sql']);
  expect(await credits(gifted.auth)).toMatchObject({ credits_balance: 10, total_credits_purchased: 0 });
  expect(await credits(buyer.auth)).toMatchObject({ credits_balance: 60, total_credits_purchased: 50 });
  expect(await credits(fresh.auth)).toMatchObject({ total_credits_purchased: 0 });
});
