import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedEngine } from '../src/db/open.js';
import { lockDataDir } from '../src/db/data-dir-lock.js';
import type { Db, Queryable } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { embeddedEngineOf, openDatabase } from '../src/db/open.js';
import { createPostgresDb } from '../src/db/postgres.js';
import { createChargedTask } from '../src/db/queries/tasks.js';
import { setCreditBalance } from '../src/db/queries/credits.js';
import { asServiceStatements } from '../src/db/scope.js';
import { createTestDb, TEST_DATABASE } from './helpers/db.js';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'sv-backup-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** `npm run admin` on the embedded database in `dataDir` (PGlite unless told), whatever database the suite runs on. */
function admin(dataDir: string, ...args: string[]) {
  return adminOn('pglite', dataDir, ...args);
}

/** `engine` '': EMBEDDED_DATABASE unset, as an operator who never set it runs it. */
function adminOn(engine: EmbeddedEngine | '', dataDir: string, ...args: string[]) {
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '', EMBEDDED_DATABASE: engine };
  return run(TSX, ['src/admin.ts', ...args], { env }).then(
    ({ stdout }) => ({ code: 0, out: stdout, err: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout, err: error.stderr }),
  );
}

/** Every table of ours and of the auth schema: its row count and a digest of all its rows. */
async function snapshot(db: Queryable): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ name: string }>(
    `select format('%I.%I', schemaname, tablename) as name from pg_tables where schemaname in ('public', 'auth') order by 1`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await db.query<{ n: number; digest: string | null }>(`select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ${name} t`);
    result[name] = `${rows[0]!.n} ${rows[0]!.digest ?? ''}`;
  }
  return result;
}

async function withEmbedded<T>(dataDir: string, fn: (db: Db) => Promise<T>, engine: EmbeddedEngine = 'pglite'): Promise<T> {
  const db = await openDatabase({ dataDir, poolSize: 1, embeddedDatabase: engine });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A user with a balance granted by a ledger row. */
async function createUserWithCredits(db: Db, email: string, credits: number): Promise<string> {
  const { id } = (await db.query<{ id: string }>(`insert into auth.users (id, email) values ($1, $2) returning id`, [randomUUID(), email])).rows[0]!;
  await db.transaction((tx) => setCreditBalance(tx, { userId: id, balance: credits }));
  return id;
}

/** A charged task, as a generation request records it. */
async function chargeTask(db: Db, userId: string, n: number): Promise<void> {
  await asServiceStatements(db, (q) =>
    createChargedTask(q, {
      userId, productId: 'ai302-t2v-5s', taskType: 'video', prompt: `backup ${n}`, negativePrompt: '', cfg: 0.5, aspectRatio: '16:9',
      cameraType: null, cameraValue: null, highQuality: false, credits: 1, startImagePath: null, endImagePath: null, additionalParams: {},
      provider: 'ai302', callbackToken: `token-${n}`, submitGraceMs: 60_000, idempotency: { key: `key-${n}`, requestHash: 'h' },
    }),
  );
}

/** A migrated database with two users, their credits and three charged tasks each; resolves to its snapshot. */
async function fill(db: Db): Promise<Record<string, string>> {
  await migrate(db);
  for (const [i, email] of ['ann@example.com', 'bob@example.com'].entries()) {
    const user = await createUserWithCredits(db, email, 50);
    for (let n = 0; n < 3; n++) await chargeTask(db, user, i * 10 + n);
  }
  return snapshot(db);
}

describe('npm run admin -- backup / restore (embedded database)', () => {
  let source: string;
  let file: string;

  it('round trip: a backup restored into an empty DATA_DIR keeps every row of every table', async () => {
    source = path.join(root, 'source');
    file = path.join(root, 'one.tar.gz');
    const before = await withEmbedded(source, fill);
    expect(before['auth.users']).toMatch(/^2 /);
    expect(before['public.video_generation_task_definitions']).toMatch(/^6 /);
    expect(before['public.credit_ledger']).toMatch(/^8 /);

    const backup = await admin(source, 'backup', file);
    expect(backup.code, backup.err).toBe(0);
    expect(JSON.parse(backup.out)).toMatchObject({ file });
    expect((await stat(file)).mode & 0o077).toBe(0);

    const copy = path.join(root, 'copy');
    const restore = await admin(copy, 'restore', file);
    expect(restore.code, restore.err).toBe(0);
    expect(await withEmbedded(copy, snapshot)).toEqual(before);
  }, 180_000);

  it('refuses while the server holds the database, saying what to do', async () => {
    const release = await lockDataDir(source); // as the running server does
    try {
      for (const args of [['backup', path.join(root, 'two.tar.gz')], ['restore', file, '--force']]) {
        const refused = await admin(source, ...args);
        expect(refused.code).toBe(1);
        expect(refused.err).toContain(`in use by process ${process.pid}`);
        expect(refused.err).toContain('stop the server');
      }
    } finally {
      await release();
    }
    expect(await readdir(root)).not.toContain('two.tar.gz');
  }, 60_000);

  it('restore refuses a DATA_DIR that holds a database unless --force, and keeps the old one', async () => {
    const refused = await admin(source, 'restore', file);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('--force');
    const forced = await admin(source, 'restore', file, '--force');
    expect(forced.code, forced.err).toBe(0);
    const { previous } = JSON.parse(forced.out) as { previous: string };
    expect((await readdir(previous)).length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses an existing backup file, a file that is not a backup, and a PostgreSQL database', async () => {
    expect((await admin(source, 'backup', file)).err).toContain('exists already');
    const junk = path.join(root, 'junk.tar.gz');
    await writeFile(junk, 'not a tarball');
    const bad = await admin(path.join(root, 'empty'), 'restore', junk);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('is not a backup');
    expect(await readdir(path.join(root, 'empty'))).not.toContain('pgdata');
    const env = { ...process.env, DATA_DIR: source, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const postgres = await run(TSX, ['src/admin.ts', 'backup', path.join(root, 'pg.tar.gz')], { env }).catch((e: { stderr: string }) => e);
    expect(postgres.stderr).toContain('pg_dump');
  }, 60_000);
});

// Independent of DATABASE_URL: run once, in the embedded run.
describe.skipIf(process.env.DATABASE_URL)('backup / restore of the embedded PostgreSQL (EMBEDDED_DATABASE=postgres)', () => {
  it('round trip: a cold copy of the cluster, restored into an empty DATA_DIR, keeps every row of every table', async () => {
    const source = path.join(root, 'native-source');
    const file = path.join(root, 'native.tar.gz');
    const before = await withEmbedded(source, fill, 'postgres');
    expect(before['public.credit_ledger']).toMatch(/^8 /);

    const backup = await adminOn('postgres', source, 'backup', file);
    expect(backup.code, backup.err).toBe(0);
    expect((await stat(file)).mode & 0o077).toBe(0);

    const copy = path.join(root, 'native-copy');
    const restore = await adminOn('postgres', copy, 'restore', file);
    expect(restore.code, restore.err).toBe(0);
    expect(JSON.parse(restore.out)).toMatchObject({ restored: path.join(copy, 'postgres'), migrations: expect.any(Number) });
    expect(await withEmbedded(copy, snapshot, 'postgres')).toEqual(before);

    // Over a cluster: refused without --force; with it, the old cluster and its password are kept aside.
    expect((await adminOn('postgres', copy, 'restore', file)).err).toContain('--force');
    const forced = await adminOn('postgres', copy, 'restore', file, '--force');
    expect(forced.code, forced.err).toBe(0);
    expect((await readdir(JSON.parse(forced.out).previous)).sort()).toEqual(['postgres', 'postgres.json']);
    expect(await withEmbedded(copy, snapshot, 'postgres')).toEqual(before);
  }, 240_000);

  it('refuses a backup of the other engine, changing nothing', async () => {
    const pgliteDir = path.join(root, 'pglite-for-native');
    await withEmbedded(pgliteDir, migrate);
    const pgliteFile = path.join(root, 'pglite-for-native.tar.gz');
    expect((await admin(pgliteDir, 'backup', pgliteFile)).code).toBe(0);
    const target = path.join(root, 'native-empty');
    const refused = await adminOn('postgres', target, 'restore', pgliteFile);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('is not a backup of this service\'s embedded database (postgres;');
    expect(existsSync(path.join(target, 'postgres'))).toBe(false);
  }, 120_000);
});

describe.skipIf(process.env.DATABASE_URL)('npm run admin -- move-to-postgres (PGlite of earlier versions into the embedded PostgreSQL)', () => {
  it('moves every row of every table, and the next start runs PostgreSQL with new ids after the moved ones', async () => {
    const dataDir = path.join(root, 'to-move');
    const before = await withEmbedded(dataDir, fill);

    const moved = await adminOn('', dataDir, 'move-to-postgres');
    expect(moved.code, moved.err).toBe(0);
    const report = JSON.parse(moved.out) as { rows: Record<string, number>; cluster: string; kept: string };
    expect(report).toMatchObject({ cluster: path.join(dataDir, 'postgres'), rows: { 'auth.users': 2, 'public.credit_ledger': 8 } });
    expect(existsSync(path.join(report.kept, 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dataDir, 'pgdata'))).toBe(false);
    expect(embeddedEngineOf(dataDir, undefined)).toBe('postgres');

    const after = await withEmbedded(dataDir, async (db) => {
      const rows = await snapshot(db);
      const user = (await db.query<{ user_id: string }>(`select user_id from user_credits limit 1`)).rows[0]!.user_id;
      await chargeTask(db, user, 99);
      const ids = (await db.query<{ id: number }>(`select id from video_generation_task_definitions order by id`)).rows.map((r) => Number(r.id));
      return { rows, ids };
    }, 'postgres');
    expect(after.rows).toEqual(before);
    expect(after.ids).toEqual([1, 2, 3, 4, 5, 6, 7]);
  }, 240_000);

  it('refuses without a PGlite database, beside a PostgreSQL cluster, and while the server runs, changing nothing', async () => {
    const empty = path.join(root, 'move-empty');
    expect((await adminOn('', empty, 'move-to-postgres')).err).toContain('There is no PGlite database');

    const both = path.join(root, 'move-both');
    await withEmbedded(both, migrate, 'postgres');
    await withEmbedded(both, migrate, 'pglite');
    expect((await adminOn('', both, 'move-to-postgres')).err).toContain('holds a PostgreSQL cluster already');

    const running = path.join(root, 'move-running');
    await withEmbedded(running, migrate);
    const release = await lockDataDir(running);
    try {
      const refused = await adminOn('', running, 'move-to-postgres');
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('stop the server');
    } finally {
      await release();
    }
    expect((await readdir(running)).filter((name) => name.startsWith('postgres'))).toEqual([]);
    expect(existsSync(path.join(running, 'pgdata', 'PG_VERSION'))).toBe(true);
  }, 180_000);
});

/**
 * The procedure docs/backups.md gives for PostgreSQL: pg_dump's custom format, pg_restore into an empty database.
 * Against the server itself: not through a transaction pooler, nor into a Supabase-like database that has its schemas.
 */
const DIRECT_POSTGRES = TEST_DATABASE === 'postgres' && !process.env.DATABASE_DIRECT_URL && !process.env.SUPABASE_TEST_DB;
describe.runIf(DIRECT_POSTGRES)('pg_dump and pg_restore (PostgreSQL)', () => {
  it('keep every row of every table', async () => {
    const source = await createTestDb();
    const target = await createTestDb({ migrated: false });
    try {
      const user = await createUserWithCredits(source.db, 'dump@example.com', 5);
      for (let n = 0; n < 3; n++) await chargeTask(source.db, user, n);
      const dump = path.join(root, 'pg.dump');
      await run('pg_dump', ['--format=custom', '--no-owner', '--file', dump, source.url!]);
      await run('pg_restore', ['--no-owner', '--exit-on-error', '--single-transaction', '--dbname', target.url!, dump]);
      const restored = createPostgresDb(target.url!, { poolSize: 1 });
      try {
        expect(await snapshot(restored)).toEqual(await snapshot(source.db));
      } finally {
        await restored.close();
      }
    } finally {
      await source.drop();
      await target.drop();
    }
  }, 120_000);
});
