import type { Queryable } from '../db.js';
import { iso } from './values.js';

/** An account as Supabase Auth's API shows it (internal/models/user.go), read from the columns both schemas have. */
export interface AuthUserRow {
  id: string;
  aud: string;
  role: string;
  email: string;
  emailConfirmedAt: string | null;
  lastSignInAt: string | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  /** The address a change waits to be confirmed for ('' or null when none). */
  emailChange: string | null;
  createdAt: string;
  updatedAt: string;
  isAnonymous: boolean;
  identities: AuthIdentityRow[];
}

export interface AuthIdentityRow {
  identityId: string;
  id: string;
  userId: string;
  identityData: Record<string, unknown>;
  provider: string;
  lastSignInAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

interface Row {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  email_confirmed_at: Date | string | null;
  last_sign_in_at: Date | string | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  email_change: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  is_anonymous: boolean | null;
  identities: Array<Record<string, string | null> & { identity_data: Record<string, unknown> }>;
}

const isoOrNull = (value: Date | string | null | undefined) => (value ? iso(value) : null);

/** The account with its identities; undefined when there is none. */
export async function findAuthUser(db: Queryable, userId: string): Promise<AuthUserRow | undefined> {
  const { rows } = await db.query<Row>(
    `select u.id, u.aud, u.role, u.email, u.email_confirmed_at, u.last_sign_in_at, u.raw_app_meta_data, u.raw_user_meta_data,
            u.email_change, u.created_at, u.updated_at, u.is_anonymous,
            coalesce((select jsonb_agg(jsonb_build_object(
                        'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id, 'identity_data', i.identity_data,
                        'provider', i.provider, 'last_sign_in_at', i.last_sign_in_at, 'created_at', i.created_at,
                        'updated_at', i.updated_at) order by i.created_at)
                        from auth.identities i where i.user_id = u.id), '[]'::jsonb) as identities
       from auth.users u where u.id = $1`,
    [userId],
  );
  const row = rows[0];
  return (
    row && {
      id: row.id,
      aud: row.aud ?? 'authenticated',
      role: row.role ?? 'authenticated',
      email: row.email ?? '',
      emailConfirmedAt: isoOrNull(row.email_confirmed_at),
      lastSignInAt: isoOrNull(row.last_sign_in_at),
      appMetadata: row.raw_app_meta_data ?? {},
      userMetadata: row.raw_user_meta_data ?? {},
      emailChange: row.email_change || null,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      isAnonymous: row.is_anonymous ?? false,
      identities: row.identities.map((i) => ({
        identityId: String(i.identity_id),
        id: String(i.id),
        userId: String(i.user_id),
        identityData: i.identity_data,
        provider: String(i.provider),
        lastSignInAt: isoOrNull(i.last_sign_in_at),
        createdAt: isoOrNull(i.created_at),
        updatedAt: isoOrNull(i.updated_at),
      })),
    }
  );
}

/** Records a sign-in where Supabase Auth does: the account's and its email identity's last_sign_in_at. */
export async function recordSignIn(db: Queryable, userId: string): Promise<void> {
  await db.query(
    `with account as (update auth.users set last_sign_in_at = now() where id = $1)
     update auth.identities set last_sign_in_at = now() where user_id = $1 and provider = 'email'`,
    [userId],
  );
}

/** Merges `data` into the user's metadata, as Supabase Auth's updateUser({data}) does (top-level keys replaced). */
export async function mergeUserMetadata(db: Queryable, input: { userId: string; data: Record<string, unknown> }): Promise<void> {
  await db.query(
    `update auth.users set raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || $2::jsonb, updated_at = now() where id = $1`,
    [input.userId, JSON.stringify(input.data)],
  );
}
