import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chown, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { z } from 'zod';
import { locatePostgresBinaries, type PostgresBinaries } from './embedded-postgres-binaries.js';
import { dataDirArgument, explainSpawnFailure, followOutput, runToEnd, spawnAs, stopOrphanPostmaster, type ClusterUser } from './embedded-postgres-process.js';

/** The embedded PostgreSQL's cluster: DATA_DIR/postgres. */
export function embeddedClusterDir(dataDir: string): string {
  return path.join(dataDir, 'postgres');
}

/** Its superuser's password and last port, owner-only, beside the cluster (the server never needs to read it). */
export const credentialsFile = (dataDir: string) => path.join(dataDir, 'postgres.json');
const credentialsSchema = z.object({ password: z.string().min(16), port: z.number().int().min(1).max(65_535).optional() });
type Credentials = z.output<typeof credentialsSchema>;

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** PostgreSQL's max_connections: the pool, the LISTEN connection and some headroom. */
  maxConnections: number;
  /** Each line the server logs. */
  onLog?: (line: string) => void;
  /** Told when the server ends other than through `stop` (killed, crashed). */
  onUnexpectedExit?: (how: string) => void;
}

export interface EmbeddedPostgres {
  /** A connection string for the superuser, over loopback TCP. */
  url: string;
  /** Whether this start created the cluster. */
  created: boolean;
  /** The postmaster an earlier, killed process of ours left running, stopped before this start. */
  stoppedOrphan?: number;
  /** A fast shutdown (open transactions rolled back), waited for. */
  stop(): Promise<void>;
}

/**
 * Settings for a small deployment, given at every start so a new version's apply to an old cluster. Durability is
 * PostgreSQL's default (fsync, synchronous commit); what goes is what one local server does not use: replication
 * (wal_level minimal), IO worker processes (io_method sync), logical replication workers, JIT, and a Unix socket.
 */
function serverSettings(port: number, maxConnections: number): string[] {
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: '',
    max_connections: maxConnections,
    shared_buffers: '32MB',
    maintenance_work_mem: '16MB',
    io_method: 'sync',
    wal_level: 'minimal',
    max_wal_senders: 0,
    max_logical_replication_workers: 0,
    jit: 'off',
    huge_pages: 'off',
  };
  return Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
}

const connectionString = (password: string, port: number) =>
  `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

/** /etc/passwd's `nobody`, else the usual 65534. */
async function nobody(): Promise<ClusterUser> {
  const line = (await readFile('/etc/passwd', 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : { uid: 65_534, gid: 65_534 };
}

async function clusterUserFor(cluster: string): Promise<ClusterUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await stat(cluster).catch(() => undefined);
  return existing && existing.uid !== 0 ? { uid: existing.uid, gid: existing.gid } : nobody();
}

/**
 * initdb into a folder beside the cluster, renamed into place when whole: a start killed half-way leaves no
 * half-made cluster. initdb reads the password from its standard input, a file of the cluster's user that we open
 * for it: that user needs no path to the file.
 */
async function createCluster(binaries: PostgresBinaries, dataDir: string, user: ClusterUser | undefined): Promise<Credentials> {
  const staging = `${embeddedClusterDir(dataDir)}.creating`;
  const passwordFile = `${staging}-password`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  const credentials = { password: randomBytes(24).toString('base64url') };
  await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  if (user) for (const entry of [staging, passwordFile]) await chown(entry, user.uid, user.gid);
  const password = await open(passwordFile, 'r');
  try {
    await runToEnd(
      binaries.initdb,
      ['-D', dataDirArgument(staging, user), '--username=postgres', '--auth=scram-sha-256', '--pwfile=/dev/stdin', '--encoding=UTF8', '--locale=C', '--no-instructions'],
      { cwd: staging, user, stdin: password.fd },
    );
  } finally {
    await password.close();
    await rm(passwordFile, { force: true });
  }
  await writeCredentials(dataDir, credentials);
  await rename(staging, embeddedClusterDir(dataDir));
  return credentials;
}

async function writeCredentials(dataDir: string, credentials: Credentials): Promise<void> {
  await writeFile(credentialsFile(dataDir), `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
}

async function readCredentials(dataDir: string): Promise<Credentials> {
  const file = credentialsFile(dataDir);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw new Error(`${path.resolve(file)}, the embedded PostgreSQL's password, is missing: put it back, or move ${path.resolve(embeddedClusterDir(dataDir))} away to start afresh`);
  }
  return credentialsSchema.parse(JSON.parse(text));
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The port of the last start when it is free (a stable address for an operator's psql), else any free one. */
async function choosePort(previous: number | undefined): Promise<number> {
  if (previous !== undefined && (await isPortFree(previous))) return previous;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const START_TIMEOUT_MS = 120_000;

/** Connects until the server answers: crash recovery after a killed process may take a while. */
async function waitUntilReady(child: ChildProcess, url: string, tail: () => string): Promise<void> {
  for (const deadline = Date.now() + START_TIMEOUT_MS; ; await sleep(100)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The embedded PostgreSQL stopped while starting (${child.signalCode ?? `exit ${child.exitCode}`}):\n${tail()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    const failure = await client.connect().then(() => undefined, (error: Error & { code?: string }) => error);
    await client.end().catch(() => undefined);
    if (!failure) return;
    if (failure.code === '28P01') throw new Error(`The embedded PostgreSQL refused the password in ${credentialsFile('DATA_DIR')}`, { cause: failure });
    if (Date.now() > deadline) throw new Error(`The embedded PostgreSQL did not answer within ${START_TIMEOUT_MS / 1000} s:\n${tail()}`, { cause: failure });
  }
}

/** Ends the child: a fast shutdown, then an immediate one, then SIGKILL, each given its time. */
async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const [signal, ms] of [['SIGINT', 30_000], ['SIGQUIT', 10_000], ['SIGKILL', 10_000]] as const) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    // The timer is cancelled once the child exits: a pending one would hold the process for its whole length.
    const timer = new AbortController();
    const gone = await Promise.race([exited.then(() => true), sleep(ms, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    if (gone) return;
  }
}

/**
 * Starts the embedded PostgreSQL on DATA_DIR/postgres, creating the cluster on first use: loopback TCP only, on the
 * port of its last start when free, scram passwords. The caller holds DATA_DIR's lock (data-dir-lock.ts). The
 * postmaster is a child in a session of its own (a Ctrl-C in the terminal reaches us, and we stop it after our own
 * shutdown); should this process exit without `stop`, an exit handler asks it to stop, and a SIGKILLed process's
 * postmaster is stopped by the next start.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const binaries = await locatePostgresBinaries();
  const cluster = embeddedClusterDir(options.dataDir);
  const user = await clusterUserFor(cluster);
  const stoppedOrphan = await stopOrphanPostmaster(cluster);
  const created = !existsSync(path.join(cluster, 'PG_VERSION'));
  let credentials = created ? await createCluster(binaries, options.dataDir, user) : await readCredentials(options.dataDir);
  for (let attempt = 1; ; attempt++) {
    const port = await choosePort(credentials.port);
    if (port !== credentials.port) await writeCredentials(options.dataDir, (credentials = { ...credentials, port }));
    const child = spawnAs(binaries.postgres, ['-D', dataDirArgument(cluster, user), ...serverSettings(port, options.maxConnections)], { cwd: cluster, user, detached: true });
    const tail = followOutput(child, options.onLog);
    const stopAtExit = () => child.kill('SIGINT');
    process.once('exit', stopAtExit);
    const url = connectionString(credentials.password, port);
    try {
      await new Promise<void>((resolve, reject) =>
        child.once('spawn', resolve).once('error', (error) => reject(explainSpawnFailure(error, binaries.postgres, user))),
      );
      await waitUntilReady(child, url, tail);
    } catch (error) {
      process.off('exit', stopAtExit);
      await stopChild(child);
      // Another program took the port between our check and the server's bind: once more, on another.
      if (attempt < 3 && /could not bind|Address already in use/.test(tail())) continue;
      throw error;
    }
    let stopping = false;
    child.once('exit', (code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(signal ?? `exit ${code}`);
    });
    return {
      url,
      created,
      ...(stoppedOrphan !== undefined && { stoppedOrphan }),
      async stop() {
        stopping = true;
        process.off('exit', stopAtExit);
        await stopChild(child);
      },
    };
  }
}
