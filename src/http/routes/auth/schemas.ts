import { z } from 'zod';
import { MAX_PASSWORD_BYTES, passwordFitsBcrypt } from '../../../auth/password.js';

const email = z.email().max(255);

/** A new password: what Supabase Auth would take too, so the account can move there with it (bcrypt's 72 bytes). */
const newPassword = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(MAX_PASSWORD_BYTES, `must be at most ${MAX_PASSWORD_BYTES} bytes`)
  .refine(passwordFitsBcrypt, `must be at most ${MAX_PASSWORD_BYTES} bytes (UTF-8)`);

export const signupBody = z.object({ email, password: newPassword });

/** Up to 1024 characters: accounts made before the 72-byte limit may have longer passwords (kept in scrypt). */
export const loginBody = z.object({ email, password: z.string().min(1).max(1024) });

/** A mailed link's token: 43 base64url characters as we make them; anything of a sane length is looked up. */
const emailToken = z.string().min(1).max(128);

export const emailTokenBody = z.object({ token: emailToken });

export const recoverBody = z.object({ email });

export const resetPasswordBody = z.object({ token: emailToken, password: newPassword });

export const changePasswordBody = z.object({ current_password: z.string().min(1).max(1024), new_password: newPassword });

/** Up to 1024 characters, as at sign-in: older accounts may have longer passwords. */
export const changeEmailBody = z.object({ new_email: email, password: z.string().min(1).max(1024) });

export const refreshBody = z.object({ refresh_token: z.string().min(1).max(512).optional() });

export const userBody = z.object({ id: z.uuid(), email: z.string() });

/** `GET /api/auth/me`: the user, and whether they have confirmed their address. */
export const meBody = userBody.extend({ email_confirmed: z.boolean() });

export const sessionBody = z.object({
  user: userBody,
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
  refresh_token: z.string(),
});

export const sessionListBody = z.object({
  sessions: z.array(
    z.object({
      id: z.uuid(),
      created_at: z.string(),
      /** The last sign-in or refresh: the session was in use then, and up to an access token's lifetime after. */
      refreshed_at: z.string(),
      user_agent: z.string().nullable(),
      ip: z.string().nullable(),
      /** The session of the token this request came with. */
      current: z.boolean(),
    }),
  ),
});
