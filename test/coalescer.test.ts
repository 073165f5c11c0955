import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatementCoalescer, type SharedStatement } from '../src/db/coalescer.js';
import { createTestDb, TEST_DATABASE, type TestDb } from './helpers/db.js';

/** The coalescer against a real PostgreSQL, counting the messages it sends. PGlite has no round trips to save. */
describe.runIf(TEST_DATABASE === 'postgres')('statement coalescer', () => {
  let testDb: TestDb;
  let pool: pg.Pool;
  let sent: string[];
  let read: (r: SharedStatement) => Promise<{ rows: unknown[]; rowCount: number }>;

  beforeAll(async () => {
    testDb = await createTestDb();
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    // Dropping the database terminates connections that pool.end() may still be closing.
    pool.on('error', () => undefined);
    read = createStatementCoalescer((text) => {
      sent.push(text);
      return pool.query(text) as unknown as Promise<pg.QueryResult | pg.QueryResult[]>;
    });
  });
  afterAll(async () => {
    await pool.end();
    await testDb.drop();
  });

  const claims = (sub: string) =>
    `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${pg.escapeLiteral(JSON.stringify({ sub, role: 'authenticated' }))}, true)`;
  const scoped = (sub: string, statement = `select current_user as role, auth.uid()::text as uid`): SharedStatement => ({
    group: 'read:request.jwt.claims,role',
    settings: claims(sub),
    statement,
    readOnly: true,
  });
  const subs = Array.from({ length: 10 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);

  it('sends the reads of one moment as one message, each under its own settings, answers in order', async () => {
    sent = [];
    const results = await Promise.all(subs.map((sub) => read(scoped(sub))));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^set transaction read only; /);
    expect(results.map((r) => r.rows)).toEqual(subs.map((uid) => [{ role: 'authenticated', uid }]));
  });

  it('keeps reads with other setting names apart, so none inherits another’s role', async () => {
    sent = [];
    const [scopedResult, plain] = await Promise.all([
      read(scoped(subs[0]!)),
      read({ group: 'read:', settings: undefined, statement: 'select current_user as role', readOnly: true }),
    ]);
    expect(sent).toHaveLength(2);
    expect(scopedResult.rows).toEqual([{ role: 'authenticated', uid: subs[0] }]);
    expect(plain.rows).toEqual([{ role: 'postgres' }]);
  });

  it('sends each read again on its own when one fails, so only that one fails', async () => {
    sent = [];
    const outcomes = await Promise.allSettled([read(scoped(subs[1]!)), read(scoped(subs[2]!, 'select 1/0')), read(scoped(subs[3]!))]);
    expect(sent).toHaveLength(4);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseFulfilledResult<{ rows: unknown[] }>).value.rows).toEqual([{ role: 'authenticated', uid: subs[1] }]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: '22012' });
  });

  it('refuses a read that is more than one statement', async () => {
    sent = [];
    const outcomes = await Promise.allSettled([read(scoped(subs[4]!)), read(scoped(subs[5]!, 'select 1; select 2'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/each must be one statement/);
  });

  it('runs the message read-only', async () => {
    await expect(read(scoped(subs[6]!, `insert into user_favorites (user_id, task_id) values ('${subs[6]}', 1)`))).rejects.toMatchObject({ code: '25006' });
  });

  it('commits writes of one moment together, and after a failure applies every other write exactly once', async () => {
    await pool.query('create table counters (id int primary key, n int not null check (n <= 1))');
    await pool.query('insert into counters select i, 0 from generate_series(1, 6) i');
    const bump = (id: number): SharedStatement => ({ group: 'write:', settings: undefined, statement: `update counters set n = n + 1 where id = ${id}`, readOnly: false });
    sent = [];
    expect((await Promise.all([1, 2, 3].map((id) => read(bump(id))))).map((r) => r.rowCount)).toEqual([1, 1, 1]);
    expect(sent).toHaveLength(1);
    // Counter 3 is at its limit: its second bump fails, the message rolls back, and 4, 5, 6 go again on their own.
    sent = [];
    const outcomes = await Promise.allSettled([4, 3, 5, 6].map((id) => read(bump(id))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(sent).toHaveLength(5);
    const { rows } = await pool.query('select id, n from counters order by id');
    expect(rows).toEqual([1, 2, 3, 4, 5, 6].map((id) => ({ id, n: 1 })));
  });
});
