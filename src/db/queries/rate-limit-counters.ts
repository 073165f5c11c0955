import type { Queryable } from '../db.js';

export interface HitCount {
  /** Hits in the current window, this one included. */
  hits: number;
  windowEndsAt: Date;
}

/**
 * Counts one hit for `key`, starting a new window of `windowMs` when the last one is over. One statement, no lock
 * held past it: hits from concurrent requests and other instances are all counted, none lost to a read-then-write race.
 */
export async function countHit(db: Queryable, input: { key: string; now: Date; windowMs: number }): Promise<HitCount> {
  const { rows } = await db.query<{ hits: number; window_ends_at: Date | string }>(
    `insert into rate_limit_counters as c (key, hits, window_ends_at) values ($1, 1, $2::timestamptz + $3 * interval '1 millisecond')
     on conflict (key) do update set
       hits = case when c.window_ends_at <= $2::timestamptz then 1 else c.hits + 1 end,
       window_ends_at = case when c.window_ends_at <= $2::timestamptz then excluded.window_ends_at else c.window_ends_at end
     returning hits, window_ends_at`,
    [input.key, input.now.toISOString(), input.windowMs],
  );
  const row = rows[0]!;
  return { hits: Number(row.hits), windowEndsAt: new Date(row.window_ends_at) };
}

/** Deletes counters whose window ended before `before`: they limit nothing any more. */
export async function deleteEndedHitCounts(db: Queryable, before: Date): Promise<number> {
  const { rowCount } = await db.query('delete from rate_limit_counters where window_ends_at < $1::timestamptz', [before.toISOString()]);
  return rowCount;
}
