import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../src/db/db.js';
import { createPostgresDb } from '../src/db/postgres.js';
import { createTestDb, TEST_DATABASE, type TestDb } from './helpers/db.js';

let testDb: TestDb | undefined;
let db: Db | undefined;
const errors: unknown[] = [];

beforeAll(async () => {
  if (TEST_DATABASE !== 'postgres') return;
  testDb = await createTestDb();
  // The listen URL is the direct server under a pooler, else the same database.
  const listenUrl = testDb.env.DATABASE_LISTEN_URL ?? testDb.url!;
  db = createPostgresDb(testDb.url!, { poolSize: 2, listenUrl, onListenError: (error) => errors.push(error) });
});
afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

/** The backend of the dedicated LISTEN connection, if it is connected. */
async function listenerPid(): Promise<number | undefined> {
  const { rows } = await db!.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and query = 'listen "task_changes"' and pid <> pg_backend_pid()`,
  );
  return rows[0]?.pid;
}

describe.skipIf(TEST_DATABASE !== 'postgres')('LISTEN on a listen URL', () => {
  it('reconnects when its connection is killed, says so (what was notified meanwhile is lost), and keeps delivering', async () => {
    const got: string[] = [];
    let resumed = 0;
    const unlisten = await db!.listen('task_changes', (payload) => got.push(payload), () => (resumed += 1));
    try {
      await db!.query(`select pg_notify('task_changes', 'before')`);
      await vi.waitFor(() => expect(got).toEqual(['before']), { timeout: 10_000, interval: 50 });

      const first = await listenerPid();
      expect(first).toBeDefined();
      expect(resumed).toBe(0);
      await db!.query('select pg_terminate_backend($1)', [first]);
      await vi.waitFor(async () => expect(await listenerPid()).toSatisfy((pid) => pid !== undefined && pid !== first), { timeout: 10_000, interval: 50 });
      expect(errors.length).toBeGreaterThan(0);
      await vi.waitFor(() => expect(resumed).toBe(1), { timeout: 10_000, interval: 50 });

      await db!.query(`select pg_notify('task_changes', 'after')`);
      await vi.waitFor(() => expect(got).toEqual(['before', 'after']), { timeout: 10_000, interval: 50 });
    } finally {
      await unlisten();
    }
    expect(await listenerPid()).toBeUndefined();
  });
});
