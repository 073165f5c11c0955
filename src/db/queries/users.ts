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

/** Inserts an account; throws EmailTakenError when the email is registered already. */
export async function insertUser(db: Queryable, input: { email: string; encryptedPassword: string }): Promise<{ id: string; email: string }> {
  try {
    const { rows } = await db.query<{ id: string; email: string }>(
      `insert into auth.users (email, encrypted_password) values ($1, $2) returning id, email`,
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
