import { spawn, type ChildProcess } from 'node:child_process';

/** A child process whose output is kept for the failure message. */
export interface Running {
  name: string;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  stop(graceMs?: number): Promise<number | string>;
}

export function run(name: string, command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    child.once('error', (error) => {
      output += `\n${error.message}`;
      resolve('spawn error');
    });
  });
  return {
    name,
    child,
    output: () => output,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        const result = await exited;
        clearTimeout(timer);
        return result;
      }
      return exited;
    },
  };
}

/** Runs a command to its end; throws with its output when it fails. */
export async function runToEnd(name: string, command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<string> {
  const running = run(name, command, args, options);
  const code = await running.exited;
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${running.output().slice(-8000)}`);
  return running.output();
}

/** Waits until `ready()` is true, failing early (with the process's output) when the process exits first. */
export async function waitFor(what: string, processes: Running[], ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: Running | undefined;
  for (const p of processes) void p.exited.then(() => (gone ??= p));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${gone.name} exited (${await gone.exited}) while waiting for ${what}:\n${gone.output().slice(-8000)}`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}:\n${processes.map((p) => `--- ${p.name}\n${p.output().slice(-4000)}`).join('\n')}`);
}

