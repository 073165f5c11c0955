import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCredits } from '../src/db/queries/credits.js';
import { asServiceStatements, readAsUser } from '../src/db/scope.js';
import { createTestApp, type TestApp, type TestUser } from './helpers/app.js';
import { TEST_DATABASE } from './helpers/db.js';

let t: TestApp;
let a: TestUser;
let b: TestUser;
beforeAll(async () => {
  t = await createTestApp();
  [a, b] = [await t.signUp(), await t.signUp()];
});
afterAll(() => t.close());

describe('readAsUser', () => {
  it('reads under the user’s RLS scope: A sees A’s row, B sees none of it', async () => {
    expect(await readAsUser(t.deps.db, a, (q) => findCredits(q, a.id))).toMatchObject({ user_id: a.id });
    expect(await readAsUser(t.deps.db, b, (q) => findCredits(q, a.id))).toBeUndefined();
  });

  it('round-trips awkward values as data, never as SQL', async () => {
    const tricky = ["'); drop table user_credits; --", 'back\\slash', 'dollar $1 $$', 'ünïcødé ✓', ''];
    for (const value of tricky) {
      const { rows } = await readAsUser(t.deps.db, a, (q) => q.query<{ v: string }>('select $1::text as v', [value]));
      expect(rows[0]!.v).toBe(value);
    }
    const { rows } = await readAsUser(t.deps.db, a, (q) => q.query<{ n: number }>('select count(*)::int as n from user_credits'));
    expect(rows[0]!.n).toBe(1);
  });

  it('leaves the connection clean after a failing statement', async () => {
    await expect(readAsUser(t.deps.db, a, (q) => q.query('select 1/0'))).rejects.toThrow();
    for (let i = 0; i < 25; i++) {
      const { rows } = await t.deps.db.query<{ role: string }>('select current_user as role');
      expect(rows[0]!.role).not.toBe('authenticated');
    }
    expect(await readAsUser(t.deps.db, a, (q) => findCredits(q, a.id))).toMatchObject({ user_id: a.id });
  });
});

describe('readAsUser under concurrency (on PostgreSQL, reads of one moment share one message)', () => {
  it('gives each of many simultaneous reads its own caller’s scope, and fails only the read that fails', async () => {
    const users = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b));
    const reads = users.map((user) => readAsUser(t.deps.db, user, (q) => q.query<{ id: string }>('select user_id as id from user_credits')));
    const failing = readAsUser(t.deps.db, a, (q) => q.query('select 1/0'));
    const more = users.map((user) => readAsUser(t.deps.db, user, (q) => findCredits(q, a.id)));
    await expect(failing).rejects.toMatchObject({ code: '22012' });
    const [own, ofA] = [await Promise.all(reads), await Promise.all(more)];
    own.forEach((result, i) => expect(result.rows).toEqual([{ id: users[i]!.id }]));
    ofA.forEach((row, i) => (users[i] === a ? expect(row).toMatchObject({ user_id: a.id }) : expect(row).toBeUndefined()));
  });

  it.runIf(TEST_DATABASE === 'postgres')('refuses to write', async () => {
    await expect(
      readAsUser(t.deps.db, a, (q) => q.query(`insert into user_favorites (user_id, task_id) values ($1, 1)`, [a.id])),
    ).rejects.toMatchObject({ code: '25006' });
  });
});

describe('asServiceStatements', () => {
  const setting = (options?: { waitForFlush?: boolean }) =>
    asServiceStatements(t.deps.db, (q) => q.query<{ v: string; role: string }>(`select current_setting('synchronous_commit') as v, current_user as role`), options);

  it('waits for the disk flush unless told the write can be learned again', async () => {
    expect((await setting()).rows).toEqual([{ v: 'on', role: 'service_role' }]);
    expect((await setting({ waitForFlush: false })).rows).toEqual([{ v: 'off', role: 'service_role' }]);
    // Transaction-local: the next statement on any connection is back to the default.
    expect((await setting()).rows).toEqual([{ v: 'on', role: 'service_role' }]);
  });
});
