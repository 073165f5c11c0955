import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../src/db/data-dir-lock.js';
import { MIGRATIONS_DIR } from '../src/db/migrate.js';
import { createTestDb, type TestDb } from './helpers/db.js';

const run = promisify(execFile);
const TSX = path.resolve('node_modules/.bin/tsx');

let dataDir: string;
let testDb: TestDb | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sv-admin-'));
  if (process.env.DATABASE_URL) testDb = await createTestDb();
});
afterAll(async () => {
  await testDb?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

function admin(...args: string[]) {
  return adminWith({}, ...args);
}

function adminWith(overrides: Record<string, string>, ...args: string[]) {
  const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_URL: '', ...testDb?.env, ...overrides };
  return run(TSX, ['src/admin.ts', ...args], { env }).then(
    ({ stdout }) => ({ code: 0, out: stdout, err: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout, err: error.stderr }),
  );
}

describe('npm run admin', () => {
  it('reports what migrate applied; on the embedded database, everything it creates is its owner’s alone', async () => {
    const fresh = path.join(dataDir, 'fresh');
    const env = { DATA_DIR: fresh };
    const first = await adminWith(env, 'migrate');
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out).applied).toEqual(testDb ? [] : (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort());
    expect(JSON.parse((await adminWith(env, 'migrate')).out).applied).toEqual([]);
    if (testDb) return;
    const loose: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (((await stat(file)).mode & 0o077) !== 0) loose.push(file);
        if (entry.isDirectory()) await walk(file);
      }
    };
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
    await walk(fresh);
    expect(loose).toEqual([]);
  });

  it('creates a user, grants credits with a ledger row, and sets a subscription', async () => {
    const created = await admin('create-user', '--email', 'ops@example.com', '--password', 'long enough password');
    expect(created.code, created.err).toBe(0);
    expect(JSON.parse(created.out).user.email).toBe('ops@example.com');

    const granted = await admin('grant-credits', '--email', 'ops@example.com', '--credits', '100000', '--level', 'admin');
    expect(granted.code, granted.err).toBe(0);
    expect(JSON.parse(granted.out)).toMatchObject({ credits_balance: 100000, total_credits_purchased: 100000, level: 'admin' });

    const sub = await admin('set-subscription', '--email', 'ops@example.com', '--plan', 'premium', '--status', 'active', '--credits-per-period', '500', '--days', '30');
    expect(sub.code, sub.err).toBe(0);
    expect(JSON.parse(sub.out)).toMatchObject({ plan_type: 'premium', status: 'active', credits_per_period: 500, auto_renew: true });
  }, 60_000);

  it('explains bad flags and unknown users', async () => {
    const bad = await admin('grant-credits', '--email', 'ops@example.com', '--credits', 'lots');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--credits');
    const unknown = await admin('grant-credits', '--email', 'nobody@example.com', '--credits', '5');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No user with email nobody@example.com');
    const usage = await admin('drop-everything');
    expect(usage.err).toContain('Usage: npm run admin');
  }, 60_000);
});

describe('the embedded database folder', () => {
  it('refuses a second process with a clear message while the first holds it', async () => {
    if (testDb) return; // PostgreSQL mode: many processes may share a server.
    const release = await lockDataDir(dataDir);
    try {
      const second = await admin('migrate');
      expect(second.code).toBe(1);
      expect(second.err).toContain(`is in use by process ${process.pid}`);
    } finally {
      await release();
    }
    expect((await admin('migrate')).code).toBe(0);
  }, 60_000);
});
