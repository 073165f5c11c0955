import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const SCRIPT = path.resolve('test/support/pg-cluster.sh');

/** A private PostgreSQL cluster this test owns (test/support/pg-cluster.sh), which it may stop and start at will. */
export interface PgCluster {
  url: string;
  /** `fast`: sessions are ended and transactions rolled back; `immediate`: the server quits at once, as in a crash. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

/** PostgreSQL refuses to run as root: as root, pg_ctl runs as Debian's postgres user, as pg-cluster.sh does. */
function pgCtl(args: string[]): Promise<unknown> {
  const command = path.join(PG_BIN, 'pg_ctl');
  return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
}

/** Whether this machine has the PostgreSQL server binaries a private cluster needs. */
export function havePgBinaries(): boolean {
  return existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'pg_ctl'));
}

export async function startPgCluster(dir: string, port: number): Promise<PgCluster> {
  const { stdout } = await run('bash', [SCRIPT, 'start', dir, String(port)]);
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  // The options pg-cluster.sh starts it with.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  return {
    url: stdout.trim().split('\n').at(-1)!,
    stop: async (mode) => void (await pgCtl(['-D', data, '-m', mode, '-w', 'stop'])),
    start: async () => void (await pgCtl(['-D', data, '-l', log, '-w', '-o', options, 'start'])),
    destroy: async () => void (await run('bash', [SCRIPT, 'stop', dir])),
  };
}
