import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCredits } from '../src/db/queries/credits.js';
import { asUserStatements } from '../src/db/scope.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await t.signUp(), await t.signUp()];
});
afterAll(() => t.close());

describe('asUserStatements', () => {
  it('reads under the user’s RLS scope: A sees A’s row, B sees none of it', async () => {
    expect(await asUserStatements(t.deps.db, a, (q) => findCredits(q, a.id))).toMatchObject({ user_id: a.id });
    expect(await asUserStatements(t.deps.db, b, (q) => findCredits(q, a.id))).toBeUndefined();
  });

  it('round-trips awkward values as data, never as SQL', async () => {
    const tricky = ["'); drop table user_credits; --", 'back\\slash', 'dollar $1 $$', 'ünïcødé ✓', ''];
    for (const value of tricky) {
      const { rows } = await asUserStatements(t.deps.db, a, (q) => q.query<{ v: string }>('select $1::text as v', [value]));
      expect(rows[0]!.v).toBe(value);
    }
    const { rows } = await asUserStatements(t.deps.db, a, (q) => q.query<{ n: number }>('select count(*)::int as n from user_credits'));
    expect(rows[0]!.n).toBe(1);
  });

  it('leaves the connection clean after a failing statement', async () => {
    await expect(asUserStatements(t.deps.db, a, (q) => q.query('select 1/0'))).rejects.toThrow();
    for (let i = 0; i < 25; i++) {
      const { rows } = await t.deps.db.query<{ role: string }>('select current_user as role');
      expect(rows[0]!.role).not.toBe('authenticated');
    }
    expect(await asUserStatements(t.deps.db, a, (q) => findCredits(q, a.id))).toMatchObject({ user_id: a.id });
  });
});
