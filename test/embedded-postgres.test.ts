import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { embeddedClusterDir } from '../src/db/embedded-postgres.js';
import { othersReach } from '../src/db/embedded-postgres-binaries.js';
import { isAlive, stopOrphanPostmaster } from '../src/db/embedded-postgres-process.js';
import { embeddedEngineOf, openDatabase, type EmbeddedDatabaseLog } from '../src/db/open.js';

/**
 * The embedded PostgreSQL's lifecycle, as `npm start` and `npm run admin` live it: a PostgreSQL cluster made on first
 * start under DATA_DIR/postgres, started and stopped with the process, recovered after the process is SIGKILLed,
 * refused to a second process; run as a user other than root when we are root (CI and containers are).
 */
const TSX = path.resolve('node_modules/.bin/tsx');
const HOLDER = path.resolve('test/helpers/embedded-postgres-holder.ts');
const NOBODY = { uid: 65_534, gid: 65_534 };
const isRoot = process.getuid?.() === 0;
/**
 * The holder run as nobody is our own code on this Node: it needs the checkout and the Node binary within nobody's
 * reach (not so under /root, nor for .ci/run's Node 24 in root's cache).
 */
const checkoutReachable = (await othersReach(process.cwd())) && (await othersReach(path.dirname(process.execPath)));

const quiet: EmbeddedDatabaseLog = { info: () => undefined, warn: () => undefined, debug: () => undefined };
const postmasterPid = async (dataDir: string) =>
  Number.parseInt((await readFile(path.join(embeddedClusterDir(dataDir), 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);

/** The holder (test/helpers/embedded-postgres-holder.ts) with the database open; as `user` when given. */
function startHolder(dataDir: string, note: string, user?: typeof NOBODY): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // Node itself, not the tsx wrapper: a SIGKILL must reach the process that holds the database.
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dataDir, note], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...(user && { HOME: path.dirname(dataDir) }) },
      ...user,
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}): ${output}`)));
    child.once('error', reject);
  });
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// Independent of DATABASE_URL: run once, in the embedded run.
describe.skipIf(process.env.DATABASE_URL)('the embedded PostgreSQL (EMBEDDED_DATABASE=postgres)', () => {
  let dataDir: string;
  beforeAll(async () => {
    // As prepareDataDir makes it: 0700.
    dataDir = await mkdtemp(path.join(tmpdir(), 'sv-embedded-pg-'));
  });
  afterAll(async () => {
    await stopOrphanPostmaster(embeddedClusterDir(dataDir)).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('first start creates the cluster, owner-only and never run as root; LISTEN works; close stops the server', async () => {
    const db = await openDatabase({ dataDir, embeddedDatabase: 'postgres', poolSize: 2, log: quiet });
    let pid: number;
    try {
      pid = await postmasterPid(dataDir);
      expect(isAlive(pid)).toBe(true);
      const cluster = await stat(embeddedClusterDir(dataDir));
      expect(cluster.mode & 0o777).toBe(0o700);
      expect(cluster.uid).toBe(isRoot ? NOBODY.uid : process.getuid!());
      expect((await stat(path.join(dataDir, 'postgres.json'))).mode & 0o777).toBe(0o600);
      // The cluster's user reaches its folder without DATA_DIR being opened to others.
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

      const heard = new Promise<string>((resolve) => void db.listen('sv_embedded', resolve));
      await new Promise((resolve) => setTimeout(resolve, 100));
      await db.query(`select pg_notify('sv_embedded', 'hello')`);
      expect(await heard).toBe('hello');
      await db.exec('create table notes (note text not null); insert into notes values ($$first$$)');
    } finally {
      await db.close();
    }
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(path.join(embeddedClusterDir(dataDir), 'postmaster.pid'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'simplevideo.lock'))).toBe(false);
  }, 60_000);

  it('a restart reuses the cluster, its rows and its port', async () => {
    const { port } = JSON.parse(await readFile(path.join(dataDir, 'postgres.json'), 'utf8')) as { port: number };
    const db = await openDatabase({ dataDir, embeddedDatabase: 'postgres', poolSize: 2, log: quiet });
    try {
      expect((await db.query('select note from notes')).rows).toEqual([{ note: 'first' }]);
      expect((await db.query<{ port: string }>(`select current_setting('port') as port`)).rows[0]!.port).toBe(String(port));
    } finally {
      await db.close();
    }
  }, 60_000);

  it('refuses a second process with the data folder’s message while the first holds it', async () => {
    const db = await openDatabase({ dataDir, embeddedDatabase: 'postgres', poolSize: 2, log: quiet });
    try {
      const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', EMBEDDED_DATABASE: 'postgres', LOG_LEVEL: 'silent' };
      const second = await promisify(execFile)(TSX, ['src/admin.ts', 'migrate'], { env }).then(
        () => ({ code: 0, err: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, err: error.stderr }),
      );
      expect(second.code).toBe(1);
      expect(second.err).toContain(`is in use by process ${process.pid}`);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('after the holding process is SIGKILLed, the next start stops the server it left and finds its committed rows', async () => {
    const holder = await startHolder(dataDir, 'before the kill');
    const orphan = await postmasterPid(dataDir);
    await killed(holder);
    expect(isAlive(orphan)).toBe(true);
    const warnings: object[] = [];
    const db = await openDatabase({ dataDir, embeddedDatabase: 'postgres', poolSize: 2, log: { ...quiet, warn: (facts) => warnings.push(facts) } });
    try {
      expect(isAlive(orphan)).toBe(false);
      expect(warnings).toContainEqual({ pid: orphan });
      expect((await db.query('select note from holder_notes')).rows).toEqual([{ note: 'before the kill' }]);
    } finally {
      await db.close();
    }
  }, 90_000);

  it('a DATA_DIR holding an earlier version’s PGlite database stays on PGlite; asked for PostgreSQL, it refuses and says how to keep it', async () => {
    const earlier = await mkdtemp(path.join(tmpdir(), 'sv-embedded-pglite-'));
    try {
      await mkdir(path.join(earlier, 'pgdata'));
      await writeFile(path.join(earlier, 'pgdata', 'PG_VERSION'), '18\n');
      expect(embeddedEngineOf(earlier, undefined)).toBe('pglite');
      expect(embeddedEngineOf(dataDir, undefined)).toBe('postgres');
      expect(embeddedEngineOf(dataDir, 'pglite')).toBe('pglite');
      const opening = openDatabase({ dataDir: earlier, embeddedDatabase: 'postgres', poolSize: 1, log: quiet });
      await expect(opening).rejects.toBeInstanceOf(ConfigError);
      await expect(opening).rejects.toThrow(/unset EMBEDDED_DATABASE or set it to pglite/);
      expect(existsSync(path.join(earlier, 'postgres'))).toBe(false);
      expect(existsSync(path.join(earlier, 'simplevideo.lock'))).toBe(false);
    } finally {
      await rm(earlier, { recursive: true, force: true });
    }
  });

  it.runIf(isRoot && checkoutReachable)('run by a user other than root, the cluster is that user’s and its server runs as that user', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'sv-embedded-nobody-'));
    await chown(home, NOBODY.uid, NOBODY.gid);
    const theirs = path.join(home, 'data');
    const holder = await startHolder(theirs, 'as nobody', NOBODY);
    try {
      expect((await stat(embeddedClusterDir(theirs))).uid).toBe(NOBODY.uid);
      const status = await readFile(`/proc/${await postmasterPid(theirs)}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(NOBODY.uid));
    } finally {
      await killed(holder);
      // What the next start would do; here, from root, for a server of another user.
      expect(await stopOrphanPostmaster(embeddedClusterDir(theirs))).toBeTypeOf('number');
      await rm(home, { recursive: true, force: true });
    }
  }, 90_000);
});
