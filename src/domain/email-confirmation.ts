import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { findUserById, markEmailConfirmed } from '../db/queries/users.js';
import type { MailMessage } from '../mail/mailer.js';
import { mailedSecret, webAppStyle, type MailStyle } from './email-codes.js';
import { createEmailToken, useEmailToken } from './email-links.js';

/**
 * Makes a new confirmation link for the user (earlier ones stop working) and the mail that carries it: to the web
 * app's page under `origin`, or as `style` writes it (Supabase Auth's /auth/v1/verify link and a code).
 */
export async function prepareConfirmationMail(
  deps: { db: Db; clock: Clock },
  input: { user: { id: string; email: string }; origin: string; style?: MailStyle },
): Promise<MailMessage> {
  const token = await createEmailToken(deps, { userId: input.user.id, purpose: 'confirm' });
  const link = await mailedSecret(deps, { userId: input.user.id, purpose: 'confirm', token, style: input.style ?? webAppStyle(input.origin) });
  return {
    to: input.user.email,
    subject: 'Confirm your email address',
    text: `Welcome to SimpleVideo.\n\nConfirm your email address by opening this link within 24 hours:\n${link}\n\nIf you did not sign up, ignore this message.`,
  };
}

/** Confirms the address of the link's user; the token works once. */
export async function confirmEmail(deps: { db: Db; clock: Clock }, token: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const userId = await useEmailToken({ db: tx, clock: deps.clock }, { purpose: 'confirm', token });
    await markEmailConfirmed(tx, userId);
  });
}

/** Whether the user has confirmed their address (false for a user not in auth.users). */
export async function isEmailConfirmed(db: Db, userId: string): Promise<boolean> {
  return (await findUserById(db, userId))?.emailConfirmed ?? false;
}
