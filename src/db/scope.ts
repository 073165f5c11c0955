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

function scoped<T>(db: Db, role: string, claims: object, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  // Transaction-local, as PostgREST and supabase/storage do: RLS policies then see auth.uid() and auth.jwt().
  return db.transaction(fn, { settings: { role, 'request.jwt.claims': JSON.stringify(claims) } });
}

/** Runs `fn` in one transaction as the user: the database's RLS policies refuse every other user's rows. */
export function withUserScope<T>(db: Db, user: { id: string; email: string }, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return scoped(db, 'authenticated', userClaims(user), fn);
}

/** Runs `fn` in one transaction as Supabase's `service_role`: for jobs and public reads across users. */
export function asService<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return scoped(db, 'service_role', { role: 'service_role' }, fn);
}
