import type { Db, Queryable } from './db.js';

/** The JWT claims a user's transaction runs with, in Supabase's shape. */
export interface UserClaims {
  sub: string;
  email: string;
  role: 'authenticated';
  aud: 'authenticated';
}

export function userClaims(user: { id: string; email: string }): UserClaims {
  return { sub: user.id, email: user.email, role: 'authenticated', aud: 'authenticated' };
}

async function scoped<T>(db: Db, role: string, claims: object, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // Transaction-local, as PostgREST and supabase/storage do: RLS policies then see auth.uid() and auth.jwt().
    await tx.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [
      role,
      JSON.stringify(claims),
    ]);
    return fn(tx);
  });
}

/** Runs `fn` in one transaction as the user: the database's RLS policies refuse every other user's rows. */
export function withUserScope<T>(db: Db, user: { id: string; email: string }, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return scoped(db, 'authenticated', userClaims(user), fn);
}

/** Runs `fn` in one transaction as Supabase's `service_role`: for jobs and public reads across users. */
export function asService<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return scoped(db, 'service_role', { role: 'service_role' }, fn);
}
