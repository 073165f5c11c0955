import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate.js';
import { createPostgresDb } from '../src/db/postgres.js';
import { findProduct } from '../src/domain/catalog.js';
import { runSyncOnce } from '../src/jobs/passes.js';
import { createTestApp } from './helpers/app.js';
import { TEST_DATABASE } from './helpers/db.js';
import { createTask, statusOf } from './helpers/lifecycle.js';

/**
 * Where the API roles do not exist yet, and the migrating login is not a superuser: a fresh cluster of our own
 * (the shared server's roles exist already, and its roles are not ours to change). Runs once, with the PGlite run.
 */
const run = promisify(execFile);
const SCRIPT = path.resolve('test/support/pg-cluster.sh');
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

describe.runIf(TEST_DATABASE === 'pglite' && existsSync(path.join(PG_BIN, 'initdb')))('migrations on a fresh PostgreSQL cluster', () => {
  let dir: string;
  let superuserUrl: string;
  const urlAs = (user: string, database: string) => {
    const u = new URL(superuserUrl);
    u.username = user;
    u.pathname = `/${database}`;
    return u.toString();
  };
  const asSuperuser = async (...statements: string[]) => {
    const client = new pg.Client({ connectionString: superuserUrl });
    await client.connect();
    try {
      for (const sql of statements) await client.query(sql);
    } finally {
      await client.end();
    }
  };
  /** Every migration file, each of which two processes migrating at once apply exactly once between them. */
  const migrationFiles = async () => (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  /** Two processes' worth of pools migrating at once. */
  const migrateTwiceAtOnce = async (url: string) => {
    const [one, two] = [createPostgresDb(url, { poolSize: 2 }), createPostgresDb(url, { poolSize: 2 })];
    try {
      return await Promise.all([migrate(one), migrate(two)]);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sv-cluster-'));
    const port = 56_000 + Math.floor(Math.random() * 4_000);
    superuserUrl = (await run('bash', [SCRIPT, 'start', dir, String(port)], { env: { ...process.env, PG_BIN } })).stdout.trim();
  }, 120_000);
  afterAll(async () => {
    if (dir) await run('bash', [SCRIPT, 'stop', dir], { env: { ...process.env, PG_BIN } });
  });

  it('a non-superuser owner with CREATEROLE creates the roles, and the service works without BYPASSRLS', async () => {
    await asSuperuser('create role app_owner login createrole', 'create database app owner app_owner');
    const url = urlAs('app_owner', 'app');
    expect((await migrateTwiceAtOnce(url)).flat().sort()).toEqual(await migrationFiles());
    expect(await migrateTwiceAtOnce(url)).toEqual([[], []]);

    const probe = createPostgresDb(url, { poolSize: 1 });
    const roles = await probe.query<{ rolname: string; rolbypassrls: boolean; member: boolean }>(
      `select rolname, rolbypassrls, pg_has_role('app_owner', rolname, 'MEMBER') as member
         from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by rolname`,
    );
    expect(roles.rows).toEqual([
      { rolname: 'anon', rolbypassrls: false, member: true },
      { rolname: 'authenticated', rolbypassrls: false, member: true },
      { rolname: 'service_role', rolbypassrls: false, member: true },
    ]);

    // Signup, a charged generation, the sync pass (as service_role, under its own policies) and the user's reads.
    const t = await createTestApp({ testDb: { db: probe, url, env: { DATABASE_URL: url }, openAnother: () => { throw new Error('one pool'); }, drop: () => probe.close() } });
    try {
      const user = await t.signUp();
      const taskId = await createTask(t, findProduct('ai302-t2v-5s')!, user);
      t.clock.advance(6_000);
      expect((await runSyncOnce(t.deps)).find((r) => r.taskId === taskId)).toMatchObject({ success: true, newStatus: 'completed' });
      expect((await statusOf(t.deps.db, taskId)).status).toBe('completed');
      const credit = await t.app.inject({ method: 'GET', url: '/api/user/fetch-credit', headers: user.auth });
      expect(credit.json()).toMatchObject({ credits_balance: 9 });
    } finally {
      await t.close();
      await probe.close().catch(() => undefined);
    }
  });

  it('an owner who may not use the roles is stopped with the grant to ask for', async () => {
    await asSuperuser('create role plain_owner login', 'create database plain owner plain_owner');
    const db = createPostgresDb(urlAs('plain_owner', 'plain'), { poolSize: 1 });
    try {
      await expect(migrate(db)).rejects.toMatchObject({
        message: 'plain_owner is not a member of role anon and may not grant it',
        hint: "as a superuser or the role's admin, run: grant anon to plain_owner",
      });
    } finally {
      await db.close();
    }
  });

  it('a superuser migrates a new database twice at once; the roles it finds are left as they are', async () => {
    await asSuperuser('create database as_superuser');
    expect((await migrateTwiceAtOnce(urlAs('postgres', 'as_superuser'))).flat().sort()).toEqual(await migrationFiles());
    expect(await migrateTwiceAtOnce(urlAs('postgres', 'as_superuser'))).toEqual([[], []]);
    const client = new pg.Client({ connectionString: superuserUrl });
    await client.connect();
    const { rows } = await client.query(`select rolbypassrls from pg_roles where rolname = 'service_role'`);
    await client.end();
    expect(rows).toEqual([{ rolbypassrls: false }]);
  });
});
