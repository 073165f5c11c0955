import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './proc.js';
import { printTable, type Summary } from './report.js';

/** The shared PostgreSQL of these machines; the bench makes (and drops) its own database on it. */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const ENDPOINTS = [
  { key: 'latest', label: 'GET /api/videos/latest' },
  { key: 'fetch_credit', label: 'GET /api/user/fetch-credit' },
  { key: 'fetch_creation', label: 'GET /api/user/fetch-creation' },
  { key: 'create_5s', label: 'POST /api/kling/5s' },
] as const;

/** One whole bench run in its own process, with `env` changed (a value of undefined removes the variable). */
async function runBench(env: Record<string, string | undefined>): Promise<Summary> {
  const childEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(tsx, [path.join(ROOT, 'bench', 'run.ts')], { env: childEnv, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the bench run with ${JSON.stringify(env)} exited with ${code}`);
  return JSON.parse(await readFile(path.join(ROOT, 'bench', 'results', 'latest.json'), 'utf8')) as Summary;
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100);
const mark = (met: boolean | null) => (met === null ? '·' : met ? '✓' : '✗');
const shown = (v: number | null) => (v === null ? '—' : String(v));

/** The HTTP load's rows, `right` against `left`: its req/s at least `minRps`× left's, p99 at most `maxP99`×, no errors. */
function loadRows(left: Summary, right: Summary, targets: { minRps: number; maxP99: number }): string[][] {
  return ENDPOINTS.map(({ key, label }) => {
    const rps = ratio(right[`${key}_rps`], left[`${key}_rps`]);
    const p99 = ratio(right[`${key}_p99_ms`], left[`${key}_p99_ms`]);
    const errors = right[`${key}_non2xx`];
    const met = rps === null || p99 === null ? null : rps >= targets.minRps && p99 <= targets.maxP99 && errors === 0;
    return [
      mark(met), label,
      `${shown(left[`${key}_rps`])} / ${shown(right[`${key}_rps`])}`, `${shown(rps)}×`,
      `${shown(left[`${key}_p99_ms`])} / ${shown(right[`${key}_p99_ms`])}`, `${shown(p99)}×`,
      shown(errors),
    ];
  });
}

async function report(file: string, names: [string, string], pair: [Summary, Summary], rows: string[][], targets: string): Promise<void> {
  console.log(`\n${names[0]} / ${names[1]}, one invocation, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`);
  console.log(`targets: ${targets}`);
  printTable(['', 'measure', `req/s ${names.join(' / ')}`, 'ratio', 'p99 ms', 'ratio', `${names[1]} non-2xx`], rows);
  await mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(path.join(ROOT, 'bench', 'results', file), `${JSON.stringify({ [names[0]]: pair[0], [names[1]]: pair[1] }, null, 2)}\n`);
}

/**
 * `npm run bench -- --compare`: the whole bench on PostgreSQL (DATABASE_URL, or the local server), then on the
 * embedded default; the embedded default's targets side by side, and bench/results/compare.json.
 */
export async function compareDatabases(): Promise<void> {
  const postgres = await runBench({ DATABASE_URL: process.env.DATABASE_URL ?? DEFAULT_POSTGRES_URL });
  const embedded = await runBench({ DATABASE_URL: undefined });
  const rows = loadRows(postgres, embedded, { minRps: 0.5, maxP99: 3 });
  // The embedded PostgreSQL runs in processes of its own: the target counts the server's tree (PSS).
  const idle = embedded.database === 'embedded-postgres' ? embedded.idle_tree_pss_mb : embedded.idle_rss_mb;
  rows.push([mark(idle === null ? null : idle <= 150), 'idle MB (server RSS; tree PSS)', `${shown(postgres.idle_rss_mb)} / ${shown(embedded.idle_rss_mb)}; ${shown(embedded.idle_tree_pss_mb)}`, '', '', '', '']);
  await report('compare.json', ['postgres', 'embedded'], [postgres, embedded], rows, 'embedded ≥ 0.5× the req/s, p99 ≤ 3×, 0 non-2xx; idle RSS ≤ 150 MB');
}

/**
 * `npm run bench -- --scale`: the whole bench on a small database, then on one seeded with 1,000,000 tasks
 * (BENCH_LARGE=1, bench/lib/scale.ts), on the database DATABASE_URL names (else the embedded default); the large
 * database's targets side by side, and bench/results/scale.json.
 */
export async function compareScales(): Promise<void> {
  const small = await runBench({ BENCH_LARGE: undefined });
  const large = await runBench({ BENCH_LARGE: '1' });
  const rows = loadRows(small, large, { minRps: 1 / 1.5, maxP99: 1.5 });
  const sync = ratio(large.sync_tasks_per_s_1, small.sync_tasks_per_s_1);
  rows.push([mark(sync === null ? null : sync >= 0.9), 'sync tasks/s (one instance)', `${shown(small.sync_tasks_per_s_1)} / ${shown(large.sync_tasks_per_s_1)}`, `${shown(sync)}×`, '', '', '']);
  await report('scale.json', ['small', 'large'], [small, large], rows, 'large ≥ 1/1.5× the req/s, p99 ≤ 1.5×, 0 non-2xx; sync as fast (≥ 0.9×, run to run noise)');
}
