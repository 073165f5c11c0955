import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Queryable } from '../../src/db/db.js';
import { kill, outputOf, spawnTs, waitFor } from './processes.js';

/** Instances of the server as processes on one PostgreSQL, for the shutdown and load-balancer tests. */
export const SIM_KEYS = { AI302_API_KEY: 'chaos-302-key', KLING_ACCESS_KEY: 'chaos-ak', KLING_SECRET_KEY: 'chaos-sk-0123456789' };

/** Starts the provider simulator as its own process (a provider outlives our instances). */
export async function startSimulator(port: number, delayMs: number): Promise<ChildProcess> {
  const simulator = spawnTs('src/providers/simulator/main.ts', { PORT: String(port), SIMULATOR_DELAY_MS: String(delayMs), ...SIM_KEYS });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/files/large/1.mp4`)).ok, 30_000, 'the simulator');
  return simulator;
}

/** Starts one instance on `port` and resolves once /healthz answers. */
export async function startInstance(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const server = spawnTs('src/main.ts', {
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: 'chaos-secret-chaos-secret-chaos-secret',
    LOG_LEVEL: 'warn',
    ...SIM_KEYS,
    GENERATION_RATE_LIMIT: '100000',
    AUTH_RATE_LIMIT: '100000',
    SIGNUP_RATE_LIMIT: '100000',
    ...env,
  });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000, `the server on ${port} (${outputOf(server)})`).catch(async (err: unknown) => {
    await kill(server);
    throw err;
  });
  return server;
}

/** Signs a new user up through `base` and grants them `credits` in the database; resolves to their token. */
export async function signUpWithCredits(base: string, db: Queryable, credits: number): Promise<string> {
  const res = await fetch(`${base}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `chaos-${randomUUID()}@example.com`, password: 'chaos password' }),
  });
  const body = (await res.json()) as { access_token: string; user: { id: string } };
  await db.query(
    `with granted as (
       update user_credits set credits_balance = credits_balance + $2, total_credits_purchased = total_credits_purchased + $2
        where user_id = $1 returning user_id, credits_balance)
     insert into credit_ledger (user_id, delta, reason, balance_after) select user_id, $2, 'grant', credits_balance from granted`,
    [body.user.id, credits],
  );
  return body.access_token;
}

/** One generation request; resolves to the HTTP status, or 0 when the connection failed. */
export function generate(base: string, token: string, key: string, i: number): Promise<number> {
  return fetch(`${base}/api/kling${i % 2 ? '-official' : ''}/5s`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ prompt: `chaos task ${key}` }),
  }).then(async (res) => {
    await res.arrayBuffer();
    return res.status;
  }, () => 0);
}

/** Tasks whose last state seen on the event stream differs from the database's: changes the stream missed. */
export async function missedChanges(db: Queryable, seen: Map<number, { status: string; result_url: string | null }>): Promise<number> {
  const { rows } = await db.query<{ id: number | string; status: string; result_url: string | null }>(
    `select d.id, s.status, s.result_url from video_generation_task_definitions d join video_generation_task_statuses s on s.task_id = d.id`,
  );
  return rows.filter((row) => {
    const last = seen.get(Number(row.id));
    return !last || last.status !== row.status || last.result_url !== row.result_url;
  }).length;
}
