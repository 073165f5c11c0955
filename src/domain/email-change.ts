import type { PasswordHasher } from '../auth/password.js';
import type { AuthenticatedUser } from '../auth/tokens.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/db.js';
import { deleteEmailTokensOfUser } from '../db/queries/email-tokens.js';
import { changeEmail, EmailTakenError, findUserByEmail, setPendingEmail } from '../db/queries/users.js';
import { errors } from '../errors.js';
import type { MailMessage } from '../mail/mailer.js';
import { normaliseEmail } from './accounts.js';
import { limitLinkMails, type AuthLimitDeps } from './auth-limits.js';
import { createEmailToken, useEmailChangeToken } from './email-links.js';
import { confirmPassword } from './passwords.js';

/** A change asked for: the address it leads to, and the mails to send (the link to it, a notice to the old one). */
export interface EmailChangeRequest {
  newEmail: string;
  mails: MailMessage[];
}

/**
 * Starts a change of the user's address to `newEmail`, without asking for their password (the caller has decided the
 * session is enough; requestEmailChange asks for it). `link` turns the token into the link mailed to the new address:
 * the web app's page (email-links.ts pageLink) or another flow's own. The change waits there until confirmed, in
 * auth.users.email_change too (migration 0021); a newer request replaces it. An address of another account is
 * refused (409 email_taken): signup tells as much to anyone, this asks for a session, and the mails are limited.
 */
export async function prepareEmailChange(
  deps: { db: Db; clock: Clock },
  input: { user: { id: string; email: string }; newEmail: string; address: string; link: (token: string) => string },
): Promise<EmailChangeRequest> {
  const newEmail = normaliseEmail(input.newEmail);
  if (newEmail === input.user.email) throw errors.validation('new_email: this is the account’s address already');
  // Counted per new address: nobody floods another's inbox through us.
  await limitLinkMails(deps, { kind: 'email_change', address: input.address, email: newEmail });
  const holder = await findUserByEmail(deps.db, newEmail);
  if (holder && holder.id !== input.user.id) throw errors.emailTaken();
  const token = await deps.db.transaction(async (tx) => {
    await setPendingEmail(tx, { userId: input.user.id, email: newEmail });
    return createEmailToken({ db: tx, clock: deps.clock }, { userId: input.user.id, purpose: 'email_change', newEmail });
  });
  return { newEmail, mails: emailChangeMails({ oldEmail: input.user.email, newEmail, link: input.link(token) }) };
}

/**
 * Starts a change of the signed-in user's address once they have given their password (confirmPassword: a wrong one
 * counts as a sign-in attempt, 403 wrong_password).
 */
export async function requestEmailChange(
  deps: AuthLimitDeps & { passwords: PasswordHasher },
  input: { userId: string; password: string; newEmail: string; address: string; link: (token: string) => string },
): Promise<EmailChangeRequest> {
  const user = await confirmPassword(deps, { userId: input.userId, password: input.password, wrong: errors.emailChangePasswordWrong });
  return prepareEmailChange(deps, { user, newEmail: input.newEmail, address: input.address, link: input.link });
}

/**
 * Moves the account to the address of the change the token was mailed for (the token works once), which is then
 * confirmed; every other link mailed before stops working (a reset link in the old inbox included). Sessions go on;
 * their access tokens carry the old address until their next refresh. 409 email_taken when another account took the
 * address meanwhile (the token is then kept: nothing changed).
 */
export async function confirmEmailChange(deps: { db: Db; clock: Clock }, token: string): Promise<AuthenticatedUser> {
  try {
    return await deps.db.transaction(async (tx) => {
      const change = await useEmailChangeToken({ db: tx, clock: deps.clock }, token);
      const user = await changeEmail(tx, { userId: change.userId, email: change.newEmail });
      if (!user) throw errors.invalidEmailToken();
      await deleteEmailTokensOfUser(tx, user.id);
      return user;
    });
  } catch (error) {
    if (error instanceof EmailTakenError) throw errors.emailTaken();
    throw error;
  }
}

function emailChangeMails(input: { oldEmail: string; newEmail: string; link: string }): MailMessage[] {
  return [
    {
      to: input.newEmail,
      subject: 'Confirm your new email address',
      text: `Someone (we hope you) asked to move the SimpleVideo account of ${input.oldEmail} to this address.\n\nConfirm it by opening this link within 24 hours:\n${input.link}\n\nIf it was not you, ignore this message: the account stays where it is.`,
    },
    {
      to: input.oldEmail,
      subject: 'Your email address is being changed',
      text: `Someone signed in to your SimpleVideo account asked to change its email address to ${input.newEmail}. It changes once the link we mailed there is opened.\n\nIf it was not you, someone knows your password: change it now on the Account page and sign out your other sessions there.`,
    },
  ];
}
