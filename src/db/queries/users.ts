import type { Queryable } from '../db.js';
import { sqlState, UNIQUE_VIOLATION } from './values.js';

export interface UserRow {
  id: string;
  email: string;
  encryptedPassword: string;
}

export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

/**
 * Inserts an email account as Supabase Auth writes one: the id made here (Supabase's auth.users has no default),
 * its audience and role, the email provider in its app metadata, empty (not NULL) token columns, which Supabase
 * Auth reads as strings, and its email identity. Unconfirmed (email_confirmed_at NULL). Throws EmailTakenError when
 * the email is registered already.
 */
export async function insertUser(db: Queryable, input: { email: string; encryptedPassword: string }): Promise<{ id: string; email: string }> {
  try {
    const { rows } = await db.query<{ id: string; email: string }>(
      `with account as (
         insert into auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data,
                                 confirmation_token, recovery_token, email_change_token_new, email_change,
                                 is_sso_user, is_anonymous, created_at, updated_at)
         values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1, $2,
                 '{"provider": "email", "providers": ["email"]}', '{}', '', '', '', '', false, false, now(), now())
         returning id, email)
       insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
       select id::text, id, jsonb_build_object('sub', id::text, 'email', email, 'email_verified', false, 'phone_verified', false),
              'email', now(), now(), now()
         from account
       returning user_id as id, identity_data ->> 'email' as email`,
      [input.email, input.encryptedPassword],
    );
    return rows[0]!;
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) throw new EmailTakenError(input.email, { cause: error });
    throw error;
  }
}

export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `select id, email, encrypted_password as "encryptedPassword" from auth.users where email = $1`,
    [email],
  );
  return rows[0];
}

/**
 * Replaces a user's password hash with another of the same password (an old scheme upgraded at sign-in), only if it
 * is still `from`: a password changed meanwhile is never overwritten.
 */
export async function replacePasswordHash(db: Queryable, input: { userId: string; from: string; to: string }): Promise<void> {
  await db.query(
    `update auth.users set encrypted_password = $3, updated_at = now() where id = $1 and encrypted_password = $2`,
    [input.userId, input.from, input.to],
  );
}

export interface AccountRow extends UserRow {
  emailConfirmed: boolean;
}

export async function findUserById(db: Queryable, id: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `select id, email, encrypted_password as "encryptedPassword", email_confirmed_at is not null as "emailConfirmed"
       from auth.users where id = $1`,
    [id],
  );
  return rows[0];
}

/**
 * Records that the user proved they own their address, as Supabase Auth does (email_confirmed_at, and its email
 * identity's `email_verified`); the first confirmation's time is kept.
 */
export async function markEmailConfirmed(db: Queryable, userId: string): Promise<void> {
  await db.query(
    `with confirmed as (
       update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()), updated_at = now() where id = $1)
     update auth.identities set identity_data = identity_data || '{"email_verified": true}', updated_at = now()
      where user_id = $1 and provider = 'email'`,
    [userId],
  );
}

/** Sets a new password hash (a reset or a change), whatever the old one was. */
export async function setPasswordHash(db: Queryable, input: { userId: string; hash: string }): Promise<void> {
  await db.query(`update auth.users set encrypted_password = $2, updated_at = now() where id = $1`, [input.userId, input.hash]);
}

/**
 * Records the address a change waits to be confirmed for where Supabase Auth keeps it (auth.users.email_change; ''
 * when none, as Supabase writes it): an account taken over by Supabase Auth keeps the meaning.
 */
export async function setPendingEmail(db: Queryable, input: { userId: string; email: string }): Promise<void> {
  await db.query(`update auth.users set email_change = $2, updated_at = now() where id = $1`, [input.userId, input.email]);
}

/**
 * Moves the account to `email`, confirmed (its owner has just opened a link mailed there), as Supabase Auth does on
 * a confirmed change: the address, no pending one, and its email identity's address. Throws EmailTakenError when
 * another account has that address. Resolves to the account, or undefined when it is gone.
 */
export async function changeEmail(db: Queryable, input: { userId: string; email: string }): Promise<{ id: string; email: string } | undefined> {
  try {
    const { rows } = await db.query<{ id: string; email: string }>(
      `with account as (
         update auth.users set email = $2, email_change = '', email_confirmed_at = now(), updated_at = now()
          where id = $1 returning id, email),
       identity as (
         update auth.identities set identity_data = identity_data || jsonb_build_object('email', $2::text, 'email_verified', true),
                updated_at = now()
          where user_id = $1 and provider = 'email')
       select id, email from account`,
      [input.userId, input.email],
    );
    return rows[0];
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) throw new EmailTakenError(input.email, { cause: error });
    throw error;
  }
}
