/** The chaos suite's counts: a short form for CI, the issue's full form with CHAOS_FULL=1. */
export const FULL = process.env.CHAOS_FULL === '1';

export const SCALE = FULL
  ? { requests: 500, users: 20, killRounds: 20, tasksPerRound: 200, faultTasks: 200, fuzzRuns: 300 }
  : { requests: 100, users: 5, killRounds: 2, tasksPerRound: 30, faultTasks: 40, fuzzRuns: 40 };

/** One line of figures, easy to find in a CI log. */
export function report(name: string, figures: Record<string, number | string>): void {
  console.log(`chaos ${name}: ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
