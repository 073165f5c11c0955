import type { Queryable } from '../db.js';

export interface AttemptCount {
  /** Hits in the current window, this one included. */
  hits: number;
  /** When the current window ends. */
  windowEndsAt: Date;
}

/**
 * Counts one hit for `subject` in `bucket`, starting a new window when the last one is over. One statement: hits
 * from concurrent requests and other instances are all counted, none lost to a read-then-write race.
 */
export async function countAttempt(
  db: Queryable,
  input: { bucket: string; subject: string; now: Date; windowMs: number },
): Promise<AttemptCount> {
  const { rows } = await db.query<{ hits: number; window_started_at: Date | string }>(
    `insert into auth_attempt_limits as l (bucket, subject, window_started_at, hits) values ($1, $2, $3::timestamptz, 1)
     on conflict (bucket, subject) do update set
       window_started_at = case when l.window_started_at <= $3::timestamptz - $4 * interval '1 millisecond'
                                then $3::timestamptz else l.window_started_at end,
       hits = case when l.window_started_at <= $3::timestamptz - $4 * interval '1 millisecond' then 1 else l.hits + 1 end
     returning hits, window_started_at`,
    [input.bucket, input.subject, input.now.toISOString(), input.windowMs],
  );
  const row = rows[0]!;
  return { hits: Number(row.hits), windowEndsAt: new Date(new Date(row.window_started_at).getTime() + input.windowMs) };
}

/** Forgets `subject`'s hits in `bucket` (a successful sign-in clears the failures before it). */
export async function clearAttempts(db: Queryable, bucket: string, subject: string): Promise<void> {
  await db.query('delete from auth_attempt_limits where bucket = $1 and subject = $2', [bucket, subject]);
}

/** Deletes counters whose window started before `before`: they can no longer limit anything. */
export async function deleteStaleAttempts(db: Queryable, before: Date): Promise<void> {
  await db.query('delete from auth_attempt_limits where window_started_at < $1::timestamptz', [before.toISOString()]);
}
