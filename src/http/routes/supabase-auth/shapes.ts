import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AuthUserRow } from '../../../db/queries/supabase-users.js';

const metadata = z.record(z.string(), z.unknown());

const identity = z.object({
  identity_id: z.string(),
  id: z.string(),
  user_id: z.string(),
  identity_data: metadata,
  provider: z.string(),
  last_sign_in_at: z.string().nullable(),
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  email: z.string().optional(),
});

/** Supabase Auth's user object (internal/models/user.go): what supabase-js's `User` type reads. */
export const authUser = z.object({
  id: z.uuid(),
  aud: z.string(),
  role: z.string(),
  email: z.string(),
  email_confirmed_at: z.string().optional(),
  phone: z.string(),
  confirmed_at: z.string().optional(),
  confirmation_sent_at: z.string().optional(),
  last_sign_in_at: z.string().optional(),
  new_email: z.string().optional(),
  app_metadata: metadata,
  user_metadata: metadata,
  identities: z.array(identity),
  created_at: z.string(),
  updated_at: z.string(),
  is_anonymous: z.boolean(),
});

export type AuthUser = z.infer<typeof authUser>;

/** A session as Supabase Auth answers sign-in, refresh and verification (internal/tokens AccessTokenResponse). */
export const authSession = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
  expires_at: z.number().int(),
  refresh_token: z.string(),
  user: authUser,
});

export type AuthSession = z.infer<typeof authSession>;

/** The JSON form of an account; the fields Supabase omits when empty (`omitempty`) are left out. */
export function toAuthUser(row: AuthUserRow): AuthUser {
  return {
    id: row.id,
    aud: row.aud,
    role: row.role,
    email: row.email,
    ...(row.emailConfirmedAt && { email_confirmed_at: row.emailConfirmedAt, confirmed_at: row.emailConfirmedAt }),
    phone: '',
    ...(row.lastSignInAt && { last_sign_in_at: row.lastSignInAt }),
    ...(row.emailChange && { new_email: row.emailChange }),
    app_metadata: row.appMetadata,
    user_metadata: row.userMetadata,
    identities: row.identities.map((i) => ({
      identity_id: i.identityId,
      id: i.id,
      user_id: i.userId,
      identity_data: i.identityData,
      provider: i.provider,
      last_sign_in_at: i.lastSignInAt,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      ...(typeof i.identityData.email === 'string' && { email: i.identityData.email }),
    })),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    is_anonymous: row.isAnonymous,
  };
}

/**
 * What signup answers for an address that has an account already: a user of the same shape as a new one's (a fresh
 * id, unconfirmed, one email identity), so the answer does not tell. Supabase Auth's own stand-in differs from a
 * real user (no identities), which does tell; ours does not.
 */
export function standInUser(input: { email: string; userMetadata: Record<string, unknown>; now: Date }): AuthUser {
  const id = randomUUID();
  const now = input.now.toISOString();
  return {
    id,
    aud: 'authenticated',
    role: 'authenticated',
    email: input.email,
    phone: '',
    confirmation_sent_at: now,
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: input.userMetadata,
    identities: [
      {
        identity_id: randomUUID(),
        id,
        user_id: id,
        identity_data: { sub: id, email: input.email, email_verified: false, phone_verified: false },
        provider: 'email',
        last_sign_in_at: now,
        created_at: now,
        updated_at: now,
        email: input.email,
      },
    ],
    created_at: now,
    updated_at: now,
    is_anonymous: false,
  };
}
