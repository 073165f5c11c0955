import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { SimTask } from './tasks.js';

/**
 * What a simulator keeps in its state folder so that a restart (of `npm start` in development) loses nothing the
 * service still needs: its tasks, one JSON line each (appended at creation: a task never changes after, its phase
 * follows from the clock), and the port it listened on, which every result URL it gave names.
 */
const TASKS_FILE = 'tasks.jsonl';
const PORT_FILE = 'port';

const taskSchema = z.object({
  id: z.string().min(1),
  provider: z.enum(['ai302', 'kling']),
  kind: z.enum(['t2v', 'i2v']),
  model: z.string(),
  createdAt: z.number(),
  willFail: z.boolean(),
  externalTaskId: z.string().optional(),
  callbackUrl: z.string().optional(),
});

export interface SimState {
  tasks: SimTask[];
  /** The port of the previous run, when one was recorded. */
  port?: number;
}

/** Reads the state folder (made, owner-only, when missing). A line that does not parse is skipped, not fatal. */
export function loadState(dir: string): SimState {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tasksPath = path.join(dir, TASKS_FILE);
  const lines = existsSync(tasksPath) ? readFileSync(tasksPath, 'utf8').split('\n') : [];
  const tasks = lines.flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      const parsed = taskSchema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    } catch {
      return [];
    }
  });
  const portText = existsSync(path.join(dir, PORT_FILE)) ? readFileSync(path.join(dir, PORT_FILE), 'utf8').trim() : '';
  const port = Number(portText);
  return { tasks, ...(portText !== '' && Number.isInteger(port) && port > 0 && port < 65536 ? { port } : {}) };
}

/** Appends one new task (synchronously: before the reply naming it is sent). */
export function saveTask(dir: string, task: SimTask): void {
  const { notifiedPhase: _runtimeOnly, ...kept } = task;
  appendFileSync(path.join(dir, TASKS_FILE), `${JSON.stringify(kept)}\n`, { mode: 0o600 });
}

export function savePort(dir: string, port: number): void {
  writeFileSync(path.join(dir, PORT_FILE), `${port}\n`, { mode: 0o600 });
}

