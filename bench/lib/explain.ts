import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createPostgresDb } from '../../src/db/postgres.js';
import { prepareDatabase } from '../../src/db/prepare.js';
import type { Queryable } from '../../src/db/db.js';
import { listCreations, listLatestVideos } from '../../src/db/queries/creations.js';
import { findCredits, listLedger } from '../../src/db/queries/credits.js';
import { listFavorites } from '../../src/db/queries/favorites.js';
import { leaseDueArchiveTasks, leaseDueSyncTasks } from '../../src/db/queries/leases.js';
import { findTaskByCallbackToken } from '../../src/db/queries/sync.js';
import { currentTaskSnapshot, findTaskChangesSince } from '../../src/db/queries/task-changes.js';
import { countUnfinishedTasks } from '../../src/db/queries/tasks.js';
import { userClaims } from '../../src/db/scope.js';
import { createBenchPostgres, seedCompletedTasks, seedInFlightTasks } from './db.js';
import { ROOT } from './proc.js';
import { SCALE, seedScale } from './scale.js';

/**
 * A Queryable that runs each statement under EXPLAIN (ANALYZE, BUFFERS) and keeps the plan: the query modules' own
 * SQL and parameters are explained, not a copy of them. A module then fails to read its rows, which is expected.
 */
function explaining(client: pg.Client, plans: string[]): Queryable {
  return {
    async query(sql, params = []) {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off) ${sql}`, [...params]);
      plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
      return { rows: [], rowCount: 0 } as never;
    },
    exec: () => Promise.reject(new Error('not explained')),
  };
}

/**
 * `npm run bench -- --explain`: the hot queries' plans on the scale run's database (PostgreSQL: DATABASE_URL or the
 * local server), each in a transaction rolled back, printed and written to bench/results/explain.txt.
 */
export async function explainHotQueries(serverUrl: string): Promise<void> {
  const bench = await createBenchPostgres(serverUrl);
  try {
    const db = createPostgresDb(bench.url, { poolSize: 2 });
    let creatorId: string;
    try {
      await prepareDatabase(db);
      const { rows } = await db.query<{ id: string }>(
        `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
                                 confirmation_token, recovery_token, email_change_token_new, email_change, is_sso_user, is_anonymous, created_at, updated_at)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', 'creator@bench.local', '',
                 '{}', '{}', '', '', '', '', false, false, now(), now()) returning id`,
      );
      creatorId = rows[0]!.id;
      await db.query(`select open_credit_account($1, 10)`, [creatorId]);
      await seedCompletedTasks(db, creatorId, 200, 'http://127.0.0.1:1/video.mp4');
      const t0 = Date.now();
      await seedScale(db, { creatorId, alreadyOwned: 200, videoUrl: 'http://127.0.0.1:1/video.mp4' });
      console.log(`seeded ${SCALE.tasks.toLocaleString('en')} tasks and ${SCALE.users.toLocaleString('en')} users in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // A sync queue as the bench's sync run has it: 10,000 due tasks.
      await seedInFlightTasks(db, creatorId, Array.from({ length: 10_000 }, (_, i) => `explain-${i}`), true);
      await db.query('analyze');
    } finally {
      await db.close();
    }

    const client = new pg.Client({ connectionString: bench.url });
    await client.connect();
    const plain: Queryable = { query: (sql, params = []) => client.query(sql, [...params]) as never, exec: async (sql) => void (await client.query(sql)) };
    const snapshot = await currentTaskSnapshot(plain);
    const lease = { owner: 'explain', now: new Date(), leaseMs: 60_000, limit: 100 };
    // Each query under the role the server runs it as: a user's reads under RLS with their claims (readAsUser), the
    // passes, callbacks and the feed as service_role, /metrics as the connection's own role. As the superuser the
    // bench connects as, the policies (which shape the users' plans) would be skipped.
    const asCreator = { role: 'authenticated', claims: userClaims({ id: creatorId, email: 'creator@bench.local' }) };
    const asService = { role: 'service_role', claims: { role: 'service_role' } };
    const asServer = null;
    const queries: Array<[string, { role: string; claims: object } | null, (q: Queryable) => Promise<unknown>]> = [
      ['fetch-credit: findCredits', asCreator, (q) => findCredits(q, creatorId)],
      ['fetch-creation: listCreations (10,000 tasks of the user)', asCreator, (q) => listCreations(q, creatorId, { limit: 20 })],
      ['videos/latest: listLatestVideos', asService, (q) => listLatestVideos(q, 20)],
      ['credit history: listLedger', asCreator, (q) => listLedger(q, creatorId, { limit: 50 })],
      ['favorites: listFavorites', asCreator, (q) => listFavorites(q, creatorId)],
      ['sync pass: leaseDueSyncTasks (10,000 due)', asService, (q) => leaseDueSyncTasks(q, lease)],
      ['archive pass: leaseDueArchiveTasks', asService, (q) => leaseDueArchiveTasks(q, lease)],
      ['events without LISTEN: findTaskChangesSince (a poll a moment ago)', asService, (q) => findTaskChangesSince(q, snapshot)],
      ['provider callback: findTaskByCallbackToken', asService, (q) => findTaskByCallbackToken(q, 'no-such-token')],
      ['metrics: countUnfinishedTasks (10,000 due)', asServer, (q) => countUnfinishedTasks(q)],
    ];
    const out: string[] = [];
    try {
      for (const [name, scope, run] of queries) {
        const plans: string[] = [];
        await client.query('begin');
        if (scope) await client.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [scope.role, JSON.stringify(scope.claims)]);
        await run(explaining(client, plans)).catch(() => undefined);
        await client.query('rollback');
        out.push(`── ${name}\n${plans.join('\n\n')}\n`);
      }
    } finally {
      await client.end();
    }
    const text = out.join('\n');
    console.log(text);
    await writeFile(path.join(ROOT, 'bench', 'results', 'explain.txt'), text);
  } finally {
    await bench.drop();
  }
}
